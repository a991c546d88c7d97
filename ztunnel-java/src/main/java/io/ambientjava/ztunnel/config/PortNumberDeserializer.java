package io.ambientjava.ztunnel.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.io.IOException;

/** A port number, 0..65535, checked where it is written. */
final class PortNumberDeserializer extends StdScalarDeserializer<Integer> {

    private static final long serialVersionUID = 1L;

    PortNumberDeserializer() {
        super(Integer.class);
    }

    @Override
    public Integer deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
            throw MismatchedInputException.from(p, Integer.class, "expected a port number");
        }
        String text = p.getText();
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            value = -1;
        }
        if (value < 0 || value > 65535) {
            throw InvalidFormatException.from(p, "port " + text + " is not in 0..65535", text, Integer.class);
        }
        return (int) value;
    }
}
