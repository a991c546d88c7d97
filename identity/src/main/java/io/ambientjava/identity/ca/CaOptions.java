package io.ambientjava.identity.ca;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How the mesh CA stamps validity periods.
 *
 * @param clock the time source for notBefore/notAfter
 * @param clockSkew how far notBefore is set back, so that peers whose clocks lag a little accept a fresh
 *     certificate (Istio backdates by a few minutes for the same reason)
 * @param defaultTtl the workload certificate lifetime when the caller asks for none (Istio: 24 h)
 * @param maxTtl the longest lifetime the CA grants; longer requests are shortened to it (Istio: 90 days)
 */
public record CaOptions(Clock clock, Duration clockSkew, Duration defaultTtl, Duration maxTtl) {

    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofMinutes(2);
    public static final Duration DEFAULT_TTL = Duration.ofHours(24);
    public static final Duration DEFAULT_MAX_TTL = Duration.ofDays(90);

    public CaOptions {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(clockSkew, "clockSkew");
        Objects.requireNonNull(defaultTtl, "defaultTtl");
        Objects.requireNonNull(maxTtl, "maxTtl");
        if (clockSkew.isNegative()) {
            throw new IllegalArgumentException("clockSkew must not be negative: " + clockSkew);
        }
        if (!defaultTtl.isPositive() || !maxTtl.isPositive()) {
            throw new IllegalArgumentException("TTLs must be positive: default " + defaultTtl + ", max " + maxTtl);
        }
        if (defaultTtl.compareTo(maxTtl) > 0) {
            throw new IllegalArgumentException("defaultTtl " + defaultTtl + " exceeds maxTtl " + maxTtl);
        }
    }

    public static CaOptions defaults() {
        return new CaOptions(Clock.systemUTC(), DEFAULT_CLOCK_SKEW, DEFAULT_TTL, DEFAULT_MAX_TTL);
    }

    public CaOptions withClock(Clock clock) {
        return new CaOptions(clock, clockSkew, defaultTtl, maxTtl);
    }

    public CaOptions withClockSkew(Duration clockSkew) {
        return new CaOptions(clock, clockSkew, defaultTtl, maxTtl);
    }

    public CaOptions withDefaultTtl(Duration defaultTtl) {
        return new CaOptions(clock, clockSkew, defaultTtl, maxTtl);
    }

    public CaOptions withMaxTtl(Duration maxTtl) {
        return new CaOptions(clock, clockSkew, defaultTtl, maxTtl);
    }
}
