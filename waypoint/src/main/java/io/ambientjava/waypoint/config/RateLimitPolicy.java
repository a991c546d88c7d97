package io.ambientjava.waypoint.config;

import java.util.List;

/** Envoy's {@code config.route.v3.RateLimit}: its actions, in order, make one request descriptor. */
public record RateLimitPolicy(int stage, List<RateLimitAction> actions) {

    public RateLimitPolicy {
        actions = List.copyOf(actions);
    }
}
