package io.ambientjava.waypoint.config;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/** Envoy's {@code StringMatcher}: one way of matching a string. */
public sealed interface StringMatch {

    boolean matches(String value);

    record Exact(String expected, boolean ignoreCase) implements StringMatch {
        public Exact {
            Objects.requireNonNull(expected, "expected");
        }

        @Override
        public boolean matches(String value) {
            return ignoreCase ? value.equalsIgnoreCase(expected) : value.equals(expected);
        }
    }

    record Prefix(String prefix, boolean ignoreCase) implements StringMatch {
        @Override
        public boolean matches(String value) {
            return value.regionMatches(ignoreCase, 0, prefix, 0, prefix.length());
        }
    }

    record Suffix(String suffix, boolean ignoreCase) implements StringMatch {
        @Override
        public boolean matches(String value) {
            int start = value.length() - suffix.length();
            return start >= 0 && value.regionMatches(ignoreCase, start, suffix, 0, suffix.length());
        }
    }

    record Contains(String part, boolean ignoreCase) implements StringMatch {
        @Override
        public boolean matches(String value) {
            return ignoreCase
                    ? value.toLowerCase(Locale.ROOT).contains(part.toLowerCase(Locale.ROOT))
                    : value.contains(part);
        }
    }

    /** Envoy regexes (RE2) match the whole value. */
    record Regex(Pattern pattern) implements StringMatch {
        @Override
        public boolean matches(String value) {
            return pattern.matcher(value).matches();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Regex r && r.pattern.pattern().equals(pattern.pattern());
        }

        @Override
        public int hashCode() {
            return pattern.pattern().hashCode();
        }
    }
}
