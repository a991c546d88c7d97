package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One route of a virtual host: first match wins.
 *
 * @param localRateLimit its {@code typed_per_filter_config} for {@code envoy.filters.http.local_ratelimit}
 * @param rateLimits the route action's {@code rate_limits}, which make the request's descriptors
 * @param cors its {@code typed_per_filter_config} for {@code envoy.filters.http.cors}
 */
public record Route(
        String name,
        RouteMatch match,
        RouteAction action,
        HeaderMutations requestHeaders,
        HeaderMutations responseHeaders,
        Optional<FaultConfig> fault,
        Optional<LocalRateLimitConfig> localRateLimit,
        List<RateLimitPolicy> rateLimits,
        Optional<CorsPolicy> cors) {

    public Route {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(match, "match");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(requestHeaders, "requestHeaders");
        Objects.requireNonNull(responseHeaders, "responseHeaders");
        Objects.requireNonNull(fault, "fault");
        Objects.requireNonNull(localRateLimit, "localRateLimit");
        rateLimits = List.copyOf(rateLimits);
        Objects.requireNonNull(cors, "cors");
    }

    public Route(
            String name,
            RouteMatch match,
            RouteAction action,
            HeaderMutations requestHeaders,
            HeaderMutations responseHeaders,
            Optional<FaultConfig> fault,
            Optional<LocalRateLimitConfig> localRateLimit,
            List<RateLimitPolicy> rateLimits) {
        this(name, match, action, requestHeaders, responseHeaders, fault, localRateLimit, rateLimits, Optional.empty());
    }

    public Route(
            String name,
            RouteMatch match,
            RouteAction action,
            HeaderMutations requestHeaders,
            HeaderMutations responseHeaders,
            Optional<FaultConfig> fault) {
        this(name, match, action, requestHeaders, responseHeaders, fault, Optional.empty(), List.of());
    }
}
