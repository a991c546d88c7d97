package io.ambientjava.perf.load;

/**
 * When each request of an open-loop load is meant to be sent: request {@code i} at {@code start + i / rate}, no
 * matter when earlier ones were answered. Measuring latency from these intended times (not from when a late
 * sender got around to it) is what keeps a stalled system from hiding its stall (coordinated omission).
 *
 * <p>Times are computed from the index, not by adding an interval repeatedly, so rounding never drifts.
 */
public record OpenLoopSchedule(long startNanos, int ratePerSecond, long totalRequests) {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    public OpenLoopSchedule {
        if (ratePerSecond <= 0) {
            throw new IllegalArgumentException("request rate must be positive, was " + ratePerSecond + "/s");
        }
        if (totalRequests < 0) {
            throw new IllegalArgumentException("total request count must not be negative, was " + totalRequests);
        }
        // The last intended offset must fit in a long: index * 1e9 may not overflow.
        Math.multiplyExact(Math.max(totalRequests, 1), NANOS_PER_SECOND);
    }

    /** A schedule covering {@code seconds} at {@code ratePerSecond}, starting at {@code startNanos}. */
    public static OpenLoopSchedule covering(long startNanos, int ratePerSecond, double seconds) {
        if (!(seconds >= 0)) {
            throw new IllegalArgumentException("schedule length must be a non-negative number of seconds: " + seconds);
        }
        return new OpenLoopSchedule(startNanos, ratePerSecond, Math.round(ratePerSecond * seconds));
    }

    /** The {@link System#nanoTime()} at which request {@code index} is due. */
    public long intendedNanos(long index) {
        if (index < 0) {
            throw new IllegalArgumentException("request index must not be negative, was " + index);
        }
        return startNanos + (index * NANOS_PER_SECOND) / ratePerSecond;
    }

    /** How many requests are due at {@code nowNanos} (all of them once the schedule is over). */
    public long dueBy(long nowNanos) {
        if (nowNanos < startNanos) {
            return 0;
        }
        if (nowNanos >= endNanos()) {
            return totalRequests;
        }
        long elapsed = nowNanos - startNanos;
        // floor(elapsed * rate / 1e9) is always due; rounding in intendedNanos can make one more due as well.
        long lastDue = Math.multiplyExact(elapsed, (long) ratePerSecond) / NANOS_PER_SECOND;
        if (lastDue >= totalRequests) {
            return totalRequests;
        }
        while (lastDue + 1 < totalRequests && intendedNanos(lastDue + 1) <= nowNanos) {
            lastDue++;
        }
        return lastDue + 1;
    }

    /** The time after which no more requests are due. */
    public long endNanos() {
        return startNanos + (totalRequests * NANOS_PER_SECOND) / ratePerSecond;
    }
}
