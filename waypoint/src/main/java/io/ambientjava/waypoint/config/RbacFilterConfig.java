package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One {@code envoy.filters.http.rbac} filter. An ALLOW filter lets through only requests some policy matches (none
 * with no policies), a DENY filter refuses those some policy matches, a LOG filter only records the match.
 */
public record RbacFilterConfig(Action action, List<RbacPolicy> policies) {

    public enum Action {
        ALLOW,
        DENY,
        LOG
    }

    public RbacFilterConfig {
        Objects.requireNonNull(action, "action");
        policies = List.copyOf(policies);
    }

    /** The first policy (in config order) that matches. */
    public Optional<RbacPolicy> firstMatch(RbacSubject s) {
        return policies.stream().filter(p -> p.matches(s)).findFirst();
    }

    /** Whether this filter lets the request go on. */
    public boolean allows(RbacSubject s) {
        return switch (action) {
            case ALLOW -> firstMatch(s).isPresent();
            case DENY -> firstMatch(s).isEmpty();
            case LOG -> true;
        };
    }
}
