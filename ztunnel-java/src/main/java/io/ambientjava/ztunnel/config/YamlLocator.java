package io.ambientjava.ztunnel.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.Optional;

/**
 * Finds where a field path is written in a YAML document, for errors found after parsing (a duplicate, a missing
 * field, an unknown field Jackson reports only at the end of its mapping). Reads the document again, token by token,
 * so it is only used on the error path.
 */
final class YamlLocator {

    private static final YAMLFactory FACTORY = new YAMLFactory();

    private final String text;

    YamlLocator(String text) {
        this.text = text;
    }

    /** The location of the path, or of its longest prefix that is written (e.g. the item of a missing field). */
    Optional<JsonLocation> locate(FieldPath path) {
        String target = path.pointer().toString();
        JsonLocation best = null;
        int bestLength = -1;
        try (JsonParser p = FACTORY.createParser(text)) {
            for (JsonToken token = p.nextToken(); token != null; token = p.nextToken()) {
                if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
                    continue;
                }
                // a container that just started has no segment of its own yet, so it reports where it sits
                String here = p.getParsingContext().pathAsPointer().toString();
                if (here.equals(target)) {
                    return Optional.of(p.currentTokenLocation());
                }
                if (target.startsWith(here + "/") && here.length() > bestLength) {
                    best = p.currentTokenLocation();
                    bestLength = here.length();
                }
            }
        } catch (IOException | RuntimeException e) {
            // a document that does not parse has no better location to offer
        }
        return Optional.ofNullable(best);
    }
}
