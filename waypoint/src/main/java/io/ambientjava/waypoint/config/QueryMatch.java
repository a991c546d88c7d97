package io.ambientjava.waypoint.config;

import java.util.Objects;
import java.util.Optional;

/** Envoy's {@code QueryParameterMatcher}: a value match, or presence when {@code value} is empty. */
public record QueryMatch(String name, Optional<StringMatch> value) {

    public QueryMatch {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }

    public boolean matches(Optional<String> actual) {
        return actual.isPresent() && value.map(v -> v.matches(actual.get())).orElse(true);
    }
}
