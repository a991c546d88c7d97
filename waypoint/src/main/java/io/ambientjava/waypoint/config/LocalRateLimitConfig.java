package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Envoy's {@code extensions.filters.http.local_ratelimit.v3.LocalRateLimit}, as the listener's filter config or as a
 * route's {@code typed_per_filter_config} (which then replaces the listener's for that route).
 *
 * @param status the answer to a limited request (429 unless set to 400 or above)
 * @param tokenBucket the default bucket; empty only at the listener, where routes bring their own
 * @param enabled the fraction of requests the filter looks at (Envoy's default: none)
 * @param enforced of those, the fraction it refuses when over the limit; the rest are only counted
 * @param requestHeadersWhenNotEnforced added to a limited request that is let through (enabled, not enforced)
 * @param responseHeaders added to the 429 answer
 * @param descriptors buckets chosen by the request's descriptors (from {@code rateLimits} or the route's)
 * @param xRateLimitHeaders send {@code x-ratelimit-limit/remaining/reset} ({@code DRAFT_VERSION_03})
 * @param alwaysConsumeDefault take a token from the default bucket also when a descriptor matched
 * @param rateLimitsOverride the filter's own {@code rate_limits}; when set the route's are ignored
 */
public record LocalRateLimitConfig(
        String statPrefix,
        int status,
        Optional<TokenBucketConfig> tokenBucket,
        double enabled,
        double enforced,
        HeaderMutations requestHeadersWhenNotEnforced,
        HeaderMutations responseHeaders,
        List<Descriptor> descriptors,
        int stage,
        boolean xRateLimitHeaders,
        boolean alwaysConsumeDefault,
        boolean grpcResourceExhausted,
        List<RateLimitPolicy> rateLimitsOverride) {

    public LocalRateLimitConfig {
        Objects.requireNonNull(statPrefix, "statPrefix");
        Objects.requireNonNull(tokenBucket, "tokenBucket");
        Objects.requireNonNull(requestHeadersWhenNotEnforced, "requestHeadersWhenNotEnforced");
        Objects.requireNonNull(responseHeaders, "responseHeaders");
        descriptors = List.copyOf(descriptors);
        rateLimitsOverride = List.copyOf(rateLimitsOverride);
    }

    /** A bucket for requests whose descriptor has exactly these entries. */
    public record Descriptor(List<Entry> entries, TokenBucketConfig tokenBucket) {
        public Descriptor {
            entries = List.copyOf(entries);
            Objects.requireNonNull(tokenBucket, "tokenBucket");
        }
    }

    public record Entry(String key, String value) {
        public Entry {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }
}
