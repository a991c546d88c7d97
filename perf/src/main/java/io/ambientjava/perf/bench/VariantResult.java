package io.ambientjava.perf.bench;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Everything measured for one variant. A case that failed is missing from its map and explained in
 * {@code problems}.
 *
 * @param throughput by number of streams
 * @param latency by request rate
 * @param tunnelPeakRssBytes the tunnel process's VmHWM at the end (empty without a tunnel)
 * @param problems what went wrong, one line each
 * @param otherCpus average CPUs that other processes kept busy while this variant ran (empty if unknown)
 */
public record VariantResult(
        Variant variant,
        Map<Integer, ThroughputResult> throughput,
        Map<Integer, LatencyResult> latency,
        OptionalLong tunnelPeakRssBytes,
        List<String> problems,
        OptionalDouble otherCpus) {

    public VariantResult {
        throughput = Map.copyOf(throughput);
        latency = Map.copyOf(latency);
        problems = List.copyOf(problems);
    }

    public Optional<ThroughputResult> throughput(int streams) {
        return Optional.ofNullable(throughput.get(streams));
    }

    public Optional<LatencyResult> latency(int rate) {
        return Optional.ofNullable(latency.get(rate));
    }
}
