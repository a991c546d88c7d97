package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Envoy's {@code ValueMatcher} on a JSON-like value (string, number, boolean, list, map). */
public sealed interface ValueMatch {

    /** @param value empty when absent */
    boolean matches(Optional<Object> value);

    record Present(boolean present) implements ValueMatch {
        @Override
        public boolean matches(Optional<Object> value) {
            return value.isPresent() == present;
        }
    }

    /** Only a string value can match. */
    record Str(StringMatch match) implements ValueMatch {
        public Str {
            Objects.requireNonNull(match, "match");
        }

        @Override
        public boolean matches(Optional<Object> value) {
            return value.filter(String.class::isInstance)
                    .map(v -> match.matches((String) v))
                    .orElse(false);
        }
    }

    /** A list holding one element that matches. */
    record OneOf(ValueMatch element) implements ValueMatch {
        public OneOf {
            Objects.requireNonNull(element, "element");
        }

        @Override
        public boolean matches(Optional<Object> value) {
            return value.filter(List.class::isInstance)
                    .map(v -> ((List<?>) v).stream().anyMatch(e -> element.matches(Optional.ofNullable(e))))
                    .orElse(false);
        }
    }
}
