package io.ambientjava.perf.load;

import java.time.Duration;
import java.util.Objects;

/**
 * One latency case: {@code ratePerSecond} requests of {@code messageSize} bytes over {@code connections}
 * connections; the first {@code warmup} of the schedule is sent but not recorded; answers still missing
 * {@code drainTimeout} after the last request count as failed.
 */
public record LatencyPlan(
        int ratePerSecond,
        int connections,
        int messageSize,
        Duration warmup,
        Duration duration,
        Duration drainTimeout) {

    public LatencyPlan {
        Objects.requireNonNull(warmup, "warmup");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (ratePerSecond <= 0) {
            throw new IllegalArgumentException("latency rate must be positive, was " + ratePerSecond + "/s");
        }
        if (connections <= 0) {
            throw new IllegalArgumentException("latency probe needs at least one connection, got " + connections);
        }
        if (messageSize <= 0) {
            throw new IllegalArgumentException("latency message size must be positive, got " + messageSize);
        }
        if (warmup.isNegative() || duration.isNegative() || duration.isZero() || drainTimeout.isNegative()) {
            throw new IllegalArgumentException("latency durations must be non-negative and the measured one positive:"
                    + " warmup=" + warmup + ", duration=" + duration + ", drainTimeout=" + drainTimeout);
        }
    }
}
