package io.ambientjava.ztunnel.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Enum values as upstream writes them ({@code HBONE}, {@code WorkloadSelector}, {@code HostNetwork}) or as the proto
 * names them ({@code WORKLOAD_SELECTOR}): case, '_' and '-' do not matter.
 */
final class LenientEnumDeserializer extends StdScalarDeserializer<Object> {

    private static final long serialVersionUID = 1L;

    private final Map<String, Object> byName = new HashMap<>();
    private final String expected;

    LenientEnumDeserializer(Class<?> enumType) {
        super(enumType);
        for (Object constant : enumType.getEnumConstants()) {
            byName.put(normalize(((Enum<?>) constant).name()), constant);
        }
        expected = Arrays.stream(enumType.getEnumConstants())
                .map(c -> ((Enum<?>) c).name())
                .collect(Collectors.joining(", "));
    }

    private static String normalize(String name) {
        return name.replace("_", "").replace("-", "").toLowerCase(Locale.ROOT);
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw MismatchedInputException.from(p, handledType(), "expected one of " + expected);
        }
        String text = p.getText();
        Object value = byName.get(normalize(text));
        if (value == null) {
            throw InvalidFormatException.from(p, "'" + text + "' is not one of " + expected, text, handledType());
        }
        return value;
    }
}
