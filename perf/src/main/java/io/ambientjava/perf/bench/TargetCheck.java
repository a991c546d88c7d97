package io.ambientjava.perf.bench;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A goal the project set for HBONE, checked against a run.
 *
 * @param goal what is wanted, in words
 * @param measured the figures the verdict rests on
 */
public record TargetCheck(String goal, String measured, Verdict verdict) {

    public enum Verdict {
        PASS("PASS"),
        FALL_SHORT("FALL SHORT"),
        NOT_MEASURED("not measured");

        private final String label;

        Verdict(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** HBONE keeps at least this share of the TLS baseline's single-stream throughput. */
    static final double MIN_SINGLE_STREAM_SHARE = 0.8;
    /** HBONE's p99 at 1,000 requests/s exceeds the TLS baseline's by at most this. */
    static final double MAX_P99_EXTRA_MICROS = 100;

    static final int P99_TARGET_RATE = 1_000;

    public static List<TargetCheck> evaluate(BenchmarkReport report) {
        return List.of(singleStreamThroughput(report), p99AtThousand(report));
    }

    static TargetCheck singleStreamThroughput(BenchmarkReport report) {
        String goal = String.format(Locale.ROOT, "HBONE single-stream throughput ≥ %.1f× TLS", MIN_SINGLE_STREAM_SHARE);
        Optional<ThroughputResult> hbone = report.result(Variant.HBONE).flatMap(r -> r.throughput(1));
        Optional<ThroughputResult> tls = report.result(Variant.TLS).flatMap(r -> r.throughput(1));
        if (hbone.isEmpty() || tls.isEmpty()) {
            return new TargetCheck(goal, "needs both tls and hbone single-stream figures", Verdict.NOT_MEASURED);
        }
        double share = hbone.get().mibPerSecond() / tls.get().mibPerSecond();
        String measured = String.format(
                Locale.ROOT,
                "%s MiB/s vs %s MiB/s = %.2f×",
                Figures.number(hbone.get().mibPerSecond()),
                Figures.number(tls.get().mibPerSecond()),
                share);
        return new TargetCheck(goal, measured, share >= MIN_SINGLE_STREAM_SHARE ? Verdict.PASS : Verdict.FALL_SHORT);
    }

    static TargetCheck p99AtThousand(BenchmarkReport report) {
        String goal = String.format(Locale.ROOT, "HBONE p99 at 1,000 rps within %.0f µs of TLS", MAX_P99_EXTRA_MICROS);
        Optional<LatencyResult> hbone = report.result(Variant.HBONE).flatMap(r -> r.latency(P99_TARGET_RATE));
        Optional<LatencyResult> tls = report.result(Variant.TLS).flatMap(r -> r.latency(P99_TARGET_RATE));
        if (hbone.isEmpty() || tls.isEmpty()) {
            return new TargetCheck(goal, "needs both tls and hbone latency at 1,000 rps", Verdict.NOT_MEASURED);
        }
        double hboneP99 = hbone.get().sample().percentileMicros(99);
        double tlsP99 = tls.get().sample().percentileMicros(99);
        double extra = hboneP99 - tlsP99;
        String measured = String.format(
                Locale.ROOT, "%s µs vs %s µs = %+.0f µs", Figures.number(hboneP99), Figures.number(tlsP99), extra);
        return new TargetCheck(goal, measured, extra <= MAX_P99_EXTRA_MICROS ? Verdict.PASS : Verdict.FALL_SHORT);
    }
}
