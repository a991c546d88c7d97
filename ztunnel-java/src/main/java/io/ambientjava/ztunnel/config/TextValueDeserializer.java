package io.ambientjava.ztunnel.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.io.IOException;
import java.util.function.Function;

/**
 * A value written as one string (an IP, a CIDR, {@code network/ip}, …), parsed by a domain factory whose
 * {@link IllegalArgumentException} message becomes the error.
 */
final class TextValueDeserializer<T> extends StdScalarDeserializer<T> {

    private static final long serialVersionUID = 1L;

    private final transient Function<String, T> parser;
    private final String expected;

    TextValueDeserializer(Class<T> type, Function<String, T> parser, String expected) {
        super(type);
        this.parser = parser;
        this.expected = expected;
    }

    @Override
    public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw MismatchedInputException.from(p, handledType(), "expected " + expected);
        }
        String text = p.getText();
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            throw InvalidFormatException.from(p, e.getMessage(), text, handledType());
        }
    }
}
