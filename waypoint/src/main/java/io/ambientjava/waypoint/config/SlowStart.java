package io.ambientjava.waypoint.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Envoy's slow start ({@code slow_start_config} of a ROUND_ROBIN or LEAST_REQUEST cluster): a host newer than
 * {@code window} gets {@code weight * max(minWeightFraction, (age / window)^(1 / aggression))}.
 *
 * @param aggression above 0; 1 ramps linearly
 * @param minWeightFraction the least share of its weight a new host gets, in [0, 1] (Envoy: 10 %)
 */
public record SlowStart(Duration window, double aggression, double minWeightFraction) {

    public SlowStart {
        Objects.requireNonNull(window, "window");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("the slow start window must be positive, was " + window);
        }
        if (!(aggression > 0)) {
            throw new IllegalArgumentException("aggression must be above 0, was " + aggression);
        }
        if (!(minWeightFraction >= 0 && minWeightFraction <= 1)) {
            throw new IllegalArgumentException("the minimum weight must be 0..100 %, was " + minWeightFraction * 100);
        }
    }

    /** The factor on a host's weight {@code ageNanos} after it joined: 1 once it is past the window. */
    public double factor(long ageNanos) {
        long windowNanos = window.toNanos();
        if (ageNanos >= windowNanos) {
            return 1.0;
        }
        double timeFactor = Math.max(0, ageNanos) / (double) windowNanos;
        return Math.max(minWeightFraction, Math.pow(timeFactor, 1 / aggression));
    }
}
