package io.ambientjava.perf.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A finished run: what was asked, where it ran, what came out.
 *
 * @param loadBefore /proc/loadavg before the first case (other work on the machine skews every figure)
 * @param loadAfter /proc/loadavg after the last case
 * @param benchmarkJvmOptions the JVM options of the load generator's (this) JVM
 * @param tunnelCommand how the tunnel child was started (target address and ports vary per run)
 */
public record BenchmarkReport(
        BenchmarkOptions options,
        Instant started,
        Duration took,
        String machine,
        String loadBefore,
        String loadAfter,
        List<String> benchmarkJvmOptions,
        List<String> tunnelCommand,
        List<VariantResult> results) {

    public BenchmarkReport {
        benchmarkJvmOptions = List.copyOf(benchmarkJvmOptions);
        tunnelCommand = List.copyOf(tunnelCommand);
        results = List.copyOf(results);
    }

    public Optional<VariantResult> result(Variant variant) {
        return results.stream().filter(r -> r.variant() == variant).findFirst();
    }
}
