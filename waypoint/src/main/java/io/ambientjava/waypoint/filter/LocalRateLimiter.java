package io.ambientjava.waypoint.filter;

import io.ambientjava.waypoint.config.HeaderMutations;
import io.ambientjava.waypoint.config.ListenerConfig;
import io.ambientjava.waypoint.config.LocalRateLimitConfig;
import io.ambientjava.waypoint.config.RateLimitPolicy;
import io.ambientjava.waypoint.config.Route;
import io.ambientjava.waypoint.config.RouteTable;
import io.ambientjava.waypoint.config.VirtualHost;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * Envoy's {@code envoy.filters.http.local_ratelimit} decision for one request: the route's per-filter config if it
 * has one, else the listener's; the {@code filter_enabled} roll; the buckets of the configured descriptors that the
 * request's descriptors match exactly, then the default bucket; and, when a bucket is empty, the
 * {@code filter_enforced} roll between refusing and only counting.
 */
public final class LocalRateLimiter {

    private LocalRateLimiter() {}

    /** {@code x-ratelimit-limit}, {@code x-ratelimit-remaining}, {@code x-ratelimit-reset} (draft 03). */
    public record RateLimitHeaders(long limit, long remaining, long resetSeconds) {
        public void applyTo(HttpHeaders headers) {
            headers.set("x-ratelimit-limit", Long.toString(limit));
            headers.set("x-ratelimit-remaining", Long.toString(remaining));
            headers.set("x-ratelimit-reset", Long.toString(resetSeconds));
        }
    }

    public sealed interface Decision {
        Optional<RateLimitHeaders> headers();
    }

    /** Not enabled for this request, or a token was there. */
    public record Pass(Optional<RateLimitHeaders> headers) implements Decision {}

    /** Over the limit but not enforced: the request goes on with {@code requestHeaders} added. */
    public record CountedOnly(HeaderMutations requestHeaders, Optional<RateLimitHeaders> headers) implements Decision {}

    /** Over the limit and enforced: answer with {@code config.status()}. */
    public record Limited(LocalRateLimitConfig config, Optional<RateLimitHeaders> headers) implements Decision {}

    private static final Pass PASS = new Pass(Optional.empty());

    /**
     * @param table the listener's route table, where the request's virtual host and route are looked up
     * @param remoteIp the client's address, for the {@code remote_address} action
     * @param random uniform in [0, 1), for the enabled and enforced rolls
     */
    public static Decision decide(
            RateLimitBuckets buckets,
            String listenerName,
            ListenerConfig.Http http,
            Optional<RouteTable> table,
            RequestView request,
            Optional<String> remoteIp,
            DoubleSupplier random) {
        Optional<VirtualHost> vh = table.flatMap(t -> t.virtualHostFor(request.authority()));
        Optional<Route> route = vh.flatMap(v -> RouteSelector.firstMatch(v, request));
        LocalRateLimitConfig config;
        String owner;
        if (route.isPresent() && route.get().localRateLimit().isPresent()) {
            config = route.get().localRateLimit().get();
            owner = RateLimitBuckets.routeOwner(table.get().name(), vh.get().name(), route.get());
        } else if (http.localRateLimit().isPresent()) {
            config = http.localRateLimit().get();
            owner = RateLimitBuckets.listenerOwner(listenerName);
        } else {
            return PASS;
        }
        if (!roll(config.enabled(), random)) {
            return PASS;
        }
        List<LocalRateLimitConfig.Descriptor> matched = matchedDescriptors(config, route, request, remoteIp);
        TokenBucket.Outcome shown = null;
        TokenBucket.Outcome refused = null;
        for (LocalRateLimitConfig.Descriptor d : matched) {
            TokenBucket.Outcome outcome = buckets.bucket(RateLimitBuckets.descriptorOwner(owner, d), d.tokenBucket())
                    .tryConsume();
            if (shown == null) {
                shown = outcome;
            }
            if (!outcome.allowed()) {
                refused = outcome;
                break;
            }
        }
        if (refused == null
                && config.tokenBucket().isPresent()
                && (matched.isEmpty() || config.alwaysConsumeDefault())) {
            TokenBucket.Outcome outcome =
                    buckets.bucket(owner, config.tokenBucket().get()).tryConsume();
            if (shown == null) {
                shown = outcome;
            }
            if (!outcome.allowed()) {
                refused = outcome;
            }
        }
        if (shown == null) {
            return PASS; // no bucket applies to this request
        }
        TokenBucket.Outcome reported = refused != null ? refused : shown;
        Optional<RateLimitHeaders> headers = config.xRateLimitHeaders()
                ? Optional.of(new RateLimitHeaders(reported.limit(), reported.remaining(), reported.resetSeconds()))
                : Optional.empty();
        if (refused == null) {
            return new Pass(headers);
        }
        if (roll(config.enforced(), random)) {
            return new Limited(config, headers);
        }
        return new CountedOnly(config.requestHeadersWhenNotEnforced(), headers);
    }

    private static boolean roll(double fraction, DoubleSupplier random) {
        return fraction >= 1.0 || (fraction > 0 && random.getAsDouble() < fraction);
    }

    private static List<LocalRateLimitConfig.Descriptor> matchedDescriptors(
            LocalRateLimitConfig config, Optional<Route> route, RequestView request, Optional<String> remoteIp) {
        if (config.descriptors().isEmpty()) {
            return List.of();
        }
        List<RateLimitPolicy> policies;
        if (!config.rateLimitsOverride().isEmpty()) {
            policies = config.rateLimitsOverride();
        } else {
            policies = route.map(r -> r.rateLimits().stream()
                            .filter(p -> p.stage() == config.stage())
                            .toList())
                    .orElse(List.of());
        }
        List<List<LocalRateLimitConfig.Entry>> requestDescriptors = new ArrayList<>();
        for (RateLimitPolicy policy : policies) {
            RequestDescriptors.of(policy, request, remoteIp).ifPresent(requestDescriptors::add);
        }
        List<LocalRateLimitConfig.Descriptor> matched = new ArrayList<>();
        for (LocalRateLimitConfig.Descriptor d : config.descriptors()) {
            if (requestDescriptors.contains(d.entries())) {
                matched.add(d);
            }
        }
        return matched;
    }
}
