package io.ambientjava.ztunnel.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.ambientjava.ztunnel.state.policy.StringMatch;
import java.io.IOException;
import java.util.Locale;

/**
 * A string match, in the forms upstream's serde accepts: a one-key mapping {@code {Exact: x}}, {@code {Prefix: x}},
 * {@code {Suffix: x}}, {@code {Presence: []}} (keys in any case; presence takes any empty value), or a YAML tag
 * {@code !Exact x} / {@code !Presence}.
 */
final class StringMatchDeserializer extends StdDeserializer<StringMatch> {

    private static final long serialVersionUID = 1L;
    private static final String FORMS = "{exact: x}, {prefix: x}, {suffix: x} or {presence: {}}";

    StringMatchDeserializer() {
        super(StringMatch.class);
    }

    @Override
    public StringMatch deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        Object tag = p.canReadTypeId() ? p.getTypeId() : null;
        if (tag != null) {
            return read(p, kind(p, tag.toString()));
        }
        if (!p.isExpectedStartObjectToken()) {
            throw MismatchedInputException.from(p, StringMatch.class, "expected a string match: " + FORMS);
        }
        String name = p.nextFieldName();
        if (name == null) {
            throw MismatchedInputException.from(p, StringMatch.class, "empty string match: expected " + FORMS);
        }
        Kind kind = kind(p, name);
        p.nextToken();
        StringMatch match = read(p, kind);
        if (p.nextToken() != JsonToken.END_OBJECT) {
            throw MismatchedInputException.from(
                    p, StringMatch.class, "a string match has exactly one of exact, prefix, suffix, presence");
        }
        return match;
    }

    private enum Kind {
        EXACT,
        PREFIX,
        SUFFIX,
        PRESENCE
    }

    private static Kind kind(JsonParser p, String name) throws IOException {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "exact" -> Kind.EXACT;
            case "prefix" -> Kind.PREFIX;
            case "suffix" -> Kind.SUFFIX;
            case "presence" -> Kind.PRESENCE;
            default ->
                throw InvalidFormatException.from(
                        p, "'" + name + "' is not a string match kind: expected " + FORMS, name, StringMatch.class);
        };
    }

    private static StringMatch read(JsonParser p, Kind kind) throws IOException {
        return switch (kind) {
            case EXACT -> StringMatch.exact(text(p, "exact"));
            case PREFIX -> StringMatch.prefix(text(p, "prefix"));
            case SUFFIX -> StringMatch.suffix(text(p, "suffix"));
            case PRESENCE -> {
                p.skipChildren();
                yield StringMatch.presence();
            }
        };
    }

    private static String text(JsonParser p, String kind) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw MismatchedInputException.from(p, String.class, kind + " takes a string");
        }
        return p.getText();
    }
}
