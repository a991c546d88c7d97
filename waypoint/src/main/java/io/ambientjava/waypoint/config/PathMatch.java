package io.ambientjava.waypoint.config;

import java.util.regex.Pattern;

/** The path part of Envoy's {@code RouteMatch}; matched against the path without the query string. */
public sealed interface PathMatch {

    boolean matches(String path);

    record Prefix(String prefix, boolean caseSensitive) implements PathMatch {
        @Override
        public boolean matches(String path) {
            return path.regionMatches(!caseSensitive, 0, prefix, 0, prefix.length());
        }
    }

    record Exact(String path, boolean caseSensitive) implements PathMatch {
        @Override
        public boolean matches(String actual) {
            return caseSensitive ? actual.equals(path) : actual.equalsIgnoreCase(path);
        }
    }

    record Regex(Pattern pattern) implements PathMatch {
        @Override
        public boolean matches(String path) {
            return pattern.matcher(path).matches();
        }
    }
}
