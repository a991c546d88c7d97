package io.ambientjava.ztunnel.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.ambientjava.ztunnel.state.PortMap;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code {80: 8080, 443: 8443}}: service port to target port, each checked where it is written. */
final class PortMapDeserializer extends StdDeserializer<PortMap> {

    private static final long serialVersionUID = 1L;

    PortMapDeserializer() {
        super(PortMap.class);
    }

    @Override
    public PortMap deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        if (!p.isExpectedStartObjectToken()) {
            throw MismatchedInputException.from(p, PortMap.class, "expected a mapping of ports, like {80: 8080}");
        }
        Map<Integer, Integer> ports = new LinkedHashMap<>();
        for (String key = p.nextFieldName(); key != null; key = p.nextFieldName()) {
            try {
                int service = port(p, key, 1, "service port");
                if (p.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                    throw MismatchedInputException.from(p, Integer.class, "expected a target port number");
                }
                int target = port(p, p.getText(), 0, "target port");
                if (ports.put(service, target) != null) {
                    throw InvalidFormatException.from(
                            p, "service port " + service + " is listed twice", key, Integer.class);
                }
            } catch (JsonMappingException e) {
                e.prependPath(PortMap.class, key);
                throw e;
            }
        }
        return new PortMap(ports);
    }

    private static int port(JsonParser p, String text, int min, String what) throws IOException {
        int value;
        try {
            value = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw InvalidFormatException.from(p, "'" + text + "' is not a " + what + " number", text, Integer.class);
        }
        if (value < min || value > 65535) {
            throw InvalidFormatException.from(
                    p, what + " " + value + " is not in " + min + "..65535", text, Integer.class);
        }
        return value;
    }
}
