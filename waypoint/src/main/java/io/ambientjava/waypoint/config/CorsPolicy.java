package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Objects;

/**
 * Envoy's {@code CorsPolicy} on a route, for {@code envoy.filters.http.cors}.
 *
 * @param allowOrigins an {@code Origin} matching any of these is allowed
 * @param allowMethods the value of {@code access-control-allow-methods}, empty for none
 * @param allowHeaders the value of {@code access-control-allow-headers}, empty for none
 * @param exposeHeaders the value of {@code access-control-expose-headers}, empty for none
 * @param maxAge the value of {@code access-control-max-age}, empty for none
 * @param enabledFraction the share of requests the policy applies to ({@code filter_enabled}), in [0, 1]
 * @param forwardNotMatchingPreflights whether a preflight from an origin not allowed goes upstream (else it is
 *     answered 200 without CORS headers)
 */
public record CorsPolicy(
        List<StringMatch> allowOrigins,
        String allowMethods,
        String allowHeaders,
        String exposeHeaders,
        String maxAge,
        boolean allowCredentials,
        double enabledFraction,
        boolean forwardNotMatchingPreflights) {

    public CorsPolicy {
        allowOrigins = List.copyOf(allowOrigins);
        Objects.requireNonNull(allowMethods, "allowMethods");
        Objects.requireNonNull(allowHeaders, "allowHeaders");
        Objects.requireNonNull(exposeHeaders, "exposeHeaders");
        Objects.requireNonNull(maxAge, "maxAge");
    }

    public boolean allowsOrigin(String origin) {
        return allowOrigins.stream().anyMatch(m -> m.matches(origin));
    }
}
