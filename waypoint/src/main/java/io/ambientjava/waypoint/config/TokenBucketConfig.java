package io.ambientjava.waypoint.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Envoy's {@code type.v3.TokenBucket}: the bucket starts full with {@code maxTokens}; every {@code fillInterval}
 * it gains {@code tokensPerFill}, never holding more than {@code maxTokens}.
 */
public record TokenBucketConfig(long maxTokens, long tokensPerFill, Duration fillInterval) {

    public TokenBucketConfig {
        Objects.requireNonNull(fillInterval, "fillInterval");
        if (maxTokens <= 0 || tokensPerFill <= 0) {
            throw new IllegalArgumentException("max_tokens and tokens_per_fill must be above 0");
        }
        if (fillInterval.isNegative() || fillInterval.isZero()) {
            throw new IllegalArgumentException("fill_interval must be above 0");
        }
    }
}
