package io.ambientjava.perf.bench;

import java.util.OptionalDouble;

/**
 * One bulk transfer case.
 *
 * @param streams concurrent connections
 * @param bytes bytes that reached the sink in the measured window
 * @param seconds length of the measured window
 * @param tunnelCpuSeconds CPU the tunnel process used in that window (empty without a tunnel)
 */
public record ThroughputResult(int streams, long bytes, double seconds, OptionalDouble tunnelCpuSeconds) {

    private static final double MIB = 1024.0 * 1024.0;
    private static final double GIB = MIB * 1024.0;

    public double mibPerSecond() {
        return bytes / MIB / seconds;
    }

    public double gbitPerSecond() {
        return bytes * 8.0 / 1e9 / seconds;
    }

    /** Tunnel CPU seconds per GiB carried. */
    public OptionalDouble cpuSecondsPerGib() {
        if (tunnelCpuSeconds.isEmpty() || bytes == 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(tunnelCpuSeconds.getAsDouble() / (bytes / GIB));
    }
}
