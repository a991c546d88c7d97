package io.ambientjava.perf.bench;

import io.ambientjava.perf.load.LatencySample;
import java.util.OptionalDouble;

/**
 * One fixed-rate latency case.
 *
 * @param sample the latencies and request counts
 * @param seconds length of the measured window
 * @param tunnelCpuSeconds CPU the tunnel process used in that window (empty without a tunnel)
 */
public record LatencyResult(LatencySample sample, double seconds, OptionalDouble tunnelCpuSeconds) {

    public int rate() {
        return sample.plan().ratePerSecond();
    }

    /** Average CPUs the tunnel kept busy (vCPU, as Istio reports ztunnel's cost). */
    public OptionalDouble tunnelCpus() {
        return tunnelCpuSeconds.isEmpty()
                ? OptionalDouble.empty()
                : OptionalDouble.of(tunnelCpuSeconds.getAsDouble() / seconds);
    }
}
