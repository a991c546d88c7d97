package io.ambientjava.ztunnel.state.policy;

import java.util.Objects;

/** A condition on one string value: exact, prefix, suffix, or presence (any non-empty value). */
public sealed interface StringMatch {

    boolean matches(String value);

    static StringMatch exact(String value) {
        return new Exact(value);
    }

    static StringMatch prefix(String value) {
        return new Prefix(value);
    }

    static StringMatch suffix(String value) {
        return new Suffix(value);
    }

    static StringMatch presence() {
        return Presence.INSTANCE;
    }

    record Exact(String value) implements StringMatch {
        public Exact {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public boolean matches(String candidate) {
            return value.equals(candidate);
        }
    }

    record Prefix(String value) implements StringMatch {
        public Prefix {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public boolean matches(String candidate) {
            return candidate.startsWith(value);
        }
    }

    record Suffix(String value) implements StringMatch {
        public Suffix {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public boolean matches(String candidate) {
            return candidate.endsWith(value);
        }
    }

    /** Matches any non-empty value; a plaintext peer has no identity, so it never matches there. */
    enum Presence implements StringMatch {
        INSTANCE;

        @Override
        public boolean matches(String candidate) {
            return !candidate.isEmpty();
        }
    }
}
