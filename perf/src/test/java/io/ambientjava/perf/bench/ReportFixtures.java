package io.ambientjava.perf.bench;

import io.ambientjava.perf.load.LatencyPlan;
import io.ambientjava.perf.load.LatencySample;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import org.HdrHistogram.Histogram;

/** Made-up results with round numbers, for checking arithmetic and layout. */
final class ReportFixtures {

    static final long MIB = 1024 * 1024;

    private ReportFixtures() {}

    static BenchmarkOptions options() {
        BenchmarkOptions d = BenchmarkOptions.defaults();
        return new BenchmarkOptions(
                List.of(Variant.values()),
                d.warmup(),
                d.duration(),
                d.maxBytes(),
                64,
                d.chunkSize(),
                List.of(1_000, 10_000),
                16,
                1024,
                1,
                1,
                d.tunnelJvmOptions());
    }

    /** {@code mibPerSecond} over 10 s with {@code cpuSeconds} of tunnel CPU. */
    static ThroughputResult throughput(int streams, double mibPerSecond, Double cpuSeconds) {
        long bytes = Math.round(mibPerSecond * 10 * MIB);
        return new ThroughputResult(
                streams, bytes, 10.0, cpuSeconds == null ? OptionalDouble.empty() : OptionalDouble.of(cpuSeconds));
    }

    /** Every latency of the sample equals one of {@code micros}, equally often. */
    static LatencyResult latency(int rate, Double cpuSeconds, long... micros) {
        Histogram histogram = new Histogram(60_000_000_000L, 3);
        Arrays.stream(micros).forEach(us -> histogram.recordValue(us * 1_000));
        LatencyPlan plan =
                new LatencyPlan(rate, 16, 1024, Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(5));
        LatencySample sample = new LatencySample(plan, histogram, micros.length, micros.length, 0);
        return new LatencyResult(
                sample, 10.0, cpuSeconds == null ? OptionalDouble.empty() : OptionalDouble.of(cpuSeconds));
    }

    static VariantResult variant(
            Variant variant,
            double singleMib,
            double multiMib,
            long p99At1000,
            Double cpu,
            OptionalLong rss,
            List<String> problems) {
        return new VariantResult(
                variant,
                Map.of(1, throughput(1, singleMib, cpu), 64, throughput(64, multiMib, cpu)),
                Map.of(
                        1_000, latency(1_000, cpu == null ? null : 0.5, 50, 60, 70, p99At1000),
                        10_000, latency(10_000, cpu == null ? null : 2.0, 40, 50)),
                rss,
                problems,
                OptionalDouble.of(0.05));
    }

    static BenchmarkReport report(List<VariantResult> results) {
        return new BenchmarkReport(
                options(),
                Instant.parse("2026-01-02T03:04:05.678Z"),
                Duration.ofSeconds(150),
                "2 CPUs, Linux, Java 25",
                "0.10 0.20 0.30",
                "1.10 0.60 0.40",
                List.of("-Xmx1g"),
                List.of("java", "-Xmx256m", "-cp", "/very/long/class/path.jar", "Main", "tls"),
                results);
    }
}
