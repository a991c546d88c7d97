package io.ambientjava.perf.mesh;

import io.ambientjava.perf.load.LatencyPlan;
import io.ambientjava.perf.load.LatencySample;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.HdrHistogram.Histogram;

/** Results with chosen figures, for the arithmetic and table tests. */
final class MeshFixtures {

    private MeshFixtures() {}

    /** A sample where every request took {@code micros}. */
    static LatencySample latency(double micros) {
        Histogram histogram = new Histogram(60_000_000_000L, 3);
        histogram.recordValueWithCount((long) (micros * 1000), 1000);
        LatencyPlan plan = new LatencyPlan(1000, 16, 1024, Duration.ZERO, Duration.ofSeconds(1), Duration.ZERO);
        return new LatencySample(plan, histogram, 1000, 1000, 0);
    }

    static MeshThroughput mibPerSecond(int streams, double mib) {
        return new MeshThroughput(streams, (long) (mib * 1024 * 1024), 1.0, streams);
    }

    /** A proxy that used {@code cores} of CPU over 10 s at 1,000 requests/s, with {@code peakMib} peak RSS. */
    static ProxyFigures proxy(String name, double cores, double peakMib) {
        return new ProxyFigures(
                name, cores * 10, 10, 10_000, (long) (peakMib * 0.9 * 1024 * 1024), (long) (peakMib * 1024 * 1024));
    }

    /** A ztunnel run with the given redirection mode. */
    static MeshVariantResult ztunnel(MeshRedirect mode, double latencyMicros, List<ProxyFigures> proxies) {
        return new MeshVariantResult(
                MeshVariant.ZTUNNEL,
                Optional.of(mode),
                mibPerSecond(1, 500),
                mibPerSecond(16, 900),
                latency(latencyMicros),
                proxies,
                List.of());
    }

    /** Enrollment figures: every sample and every scale enroll took the given milliseconds. */
    static EnrollmentResult enrollment(MeshRedirect mode, double sampleMillis, List<Long> scaleNanos, int asked) {
        long nanos = (long) (sampleMillis * 1e6);
        return new EnrollmentResult(mode, List.of(nanos / 2, nanos / 2), List.of(nanos, nanos), asked, scaleNanos, 1.5);
    }

    static MeshVariantResult result(
            MeshVariant variant, double single, double multi, double latencyMicros, List<ProxyFigures> proxies) {
        return new MeshVariantResult(
                variant,
                variant == MeshVariant.ZTUNNEL ? Optional.of(MeshRedirect.NFTABLES) : Optional.empty(),
                mibPerSecond(1, single),
                mibPerSecond(16, multi),
                latency(latencyMicros),
                proxies,
                proxies.stream().map(p -> "run " + p.name()).toList());
    }
}
