package io.ambientjava.waypoint.config;

import java.util.Objects;
import java.util.Optional;

/**
 * Envoy's {@code HeaderMatcher}. Pseudo-headers {@code :method}, {@code :authority}, {@code :path},
 * {@code :scheme} are matched like headers, as Envoy does.
 *
 * @param value empty for a presence match
 * @param present for a presence match: whether the header must be present (true) or absent (false)
 * @param invert negates the outcome
 */
public record HeaderMatch(String name, Optional<StringMatch> value, boolean present, boolean invert) {

    public HeaderMatch {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }

    /** @param actual the header's value, empty when absent (several values joined with ",") */
    public boolean matches(Optional<String> actual) {
        boolean result = value.isPresent()
                ? actual.map(v -> value.get().matches(v)).orElse(false)
                : actual.isPresent() == present;
        return result != invert;
    }
}
