package io.ambientjava.identity.manager;

import java.time.Duration;
import java.util.Objects;

/**
 * When certificates are renewed and how failed renewals are retried.
 *
 * @param renewAtFraction renew once this fraction of the certificate's lifetime (notBefore to notAfter)
 *     has passed; ztunnel renews at half-life
 * @param initialBackoff the wait after the first failed renewal; it doubles with each further failure
 * @param maxBackoff the longest wait between retries
 */
public record RenewalPolicy(double renewAtFraction, Duration initialBackoff, Duration maxBackoff) {

    public static final double DEFAULT_RENEW_AT_FRACTION = 0.5;
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofSeconds(1);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(1);

    public RenewalPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (!(renewAtFraction > 0 && renewAtFraction < 1)) {
            throw new IllegalArgumentException(
                    "renewAtFraction must be between 0 and 1 (exclusive): " + renewAtFraction);
        }
        if (!initialBackoff.isPositive() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException(
                    "need 0 < initialBackoff <= maxBackoff, got " + initialBackoff + " and " + maxBackoff);
        }
    }

    public static RenewalPolicy defaults() {
        return new RenewalPolicy(DEFAULT_RENEW_AT_FRACTION, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF);
    }

    /** The wait before retry number {@code failures} (1 for the first retry). */
    public Duration backoff(int failures) {
        Duration delay = initialBackoff;
        for (int i = 1; i < failures && delay.compareTo(maxBackoff) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(maxBackoff) > 0 ? maxBackoff : delay;
    }
}
