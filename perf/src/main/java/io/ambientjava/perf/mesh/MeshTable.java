package io.ambientjava.perf.mesh;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The report as Markdown: one column per variant, ratios against direct, the targets, the conditions. */
public final class MeshTable {

    private MeshTable() {}

    public static String markdown(MeshReport report) {
        List<MeshVariantResult> results = report.results();
        MeshOptions o = report.options();
        Optional<MeshVariantResult> direct =
                results.stream().filter(r -> r.variant() == MeshVariant.DIRECT).findFirst();
        StringBuilder out = new StringBuilder();
        out.append(o.sameNode() ? "### Pod to pod on one node (" : "### Pod to pod across two nodes (")
                .append(report.started())
                .append(")\n\n");
        out.append("| figure | ")
                .append(results.stream().map(MeshVariantResult::label).collect(Collectors.joining(" | ")))
                .append(" |\n|---|")
                .append("---|".repeat(results.size()))
                .append('\n');
        row(
                out,
                "throughput, 1 connection (MiB/s)",
                results,
                r -> throughput(r.single()),
                direct,
                r -> r.single().mibPerSecond());
        row(
                out,
                "throughput, " + o.streams() + " connections (MiB/s)",
                results,
                r -> throughput(r.multi()),
                direct,
                r -> r.multi().mibPerSecond());
        String latencyCase = "%,d rps, %d conns, %d B".formatted(o.rate(), o.connections(), o.messageSize());
        for (double p : new double[] {50, 90, 99}) {
            row(
                    out,
                    "latency p%.0f (ms), %s".formatted(p, latencyCase),
                    results,
                    r -> f3(r.p(p) / 1000),
                    direct,
                    r -> r.p(p));
        }
        row(out, "latency max (ms)", results, r -> f3(r.latency().maxMicros() / 1000), Optional.empty(), null);
        row(
                out,
                "requests sent / answered / failed",
                results,
                r -> r.latency().sent() + " / " + r.latency().completed() + " / "
                        + r.latency().failed(),
                Optional.empty(),
                null);
        row(
                out,
                "proxy CPU s per 1,000 requests (each proxy)",
                results,
                r -> each(r, p -> f4(p.cpuSecondsPerThousandRequests())),
                Optional.empty(),
                null);
        row(
                out,
                "proxy cores per 1,000 rps (each proxy)",
                results,
                r -> each(r, p -> f3(p.coresPerThousandRps())),
                Optional.empty(),
                null);
        row(
                out,
                "proxy RSS at end of latency case (MiB, each)",
                results,
                r -> each(r, p -> f1(MeshTargets.mib(p.residentBytes()))),
                Optional.empty(),
                null);
        row(
                out,
                "proxy peak RSS, VmHWM (MiB, each)",
                results,
                r -> each(r, p -> f1(MeshTargets.mib(p.peakResidentBytes()))),
                Optional.empty(),
                null);
        out.append("\nRatios in brackets are against direct.\n\n");

        out.append("| target | measured | verdict |\n|---|---|---|\n");
        for (MeshTarget target : MeshTargets.evaluate(results)) {
            out.append("| ")
                    .append(target.goal())
                    .append(" | ")
                    .append(target.measured())
                    .append(" | **")
                    .append(target.verdict().label())
                    .append("** |\n");
        }
        enrollment(out, report.enrollment());
        out.append("\nConditions: ")
                .append(report.processors())
                .append(" CPUs; load average before ")
                .append(report.loadBefore())
                .append(", after ")
                .append(report.loadAfter())
                .append("; warm-up ")
                .append(o.warmup())
                .append(", measured ")
                .append(o.duration())
                .append(
                        o.sameNode()
                                ? " per case; both pods on node 1 (one ztunnel)"
                                : " per case; client pod on node 1, server pod on node 2")
                .append("; load generator and server in the benchmark JVM (not counted).\n");
        out.append("\nztunnel JVM options: `")
                .append(String.join(" ", o.ztunnelJvmOptions()))
                .append("`\n");
        for (MeshVariantResult r : results) {
            for (String command : r.proxyCommands()) {
                out.append("\n")
                        .append(r.variant().label())
                        .append(": `")
                        .append(command)
                        .append("`\n");
            }
        }
        return out.toString();
    }

    private static void enrollment(StringBuilder out, List<EnrollmentResult> results) {
        if (results.isEmpty()) {
            return;
        }
        out.append("\n### Enrolling a pod\n\n| figure | ")
                .append(results.stream().map(r -> r.mode().label()).collect(Collectors.joining(" | ")))
                .append(" |\n|---|")
                .append("---|".repeat(results.size()))
                .append('\n');
        enrollRow(
                out,
                "enroll → first redirected byte read by the 15001 listener, p50 / p90 / max (ms)",
                results,
                r -> f3(EnrollmentResult.percentileMillis(r.firstByteNanos(), 50)) + " / "
                        + f3(EnrollmentResult.percentileMillis(r.firstByteNanos(), 90)) + " / "
                        + f3(EnrollmentResult.percentileMillis(r.firstByteNanos(), 100)) + " ("
                        + r.firstByteNanos().size()
                        + " pods)");
        enrollRow(
                out,
                "redirector apply alone, p50 / max (ms)",
                results,
                r -> f3(EnrollmentResult.percentileMillis(r.applyNanos(), 50)) + " / "
                        + f3(EnrollmentResult.percentileMillis(r.applyNanos(), 100)));
        enrollRow(
                out,
                "enroll of the N-th pod, N-1 enrolled (ms)",
                results,
                r -> f3(r.lastEnrollMillis()) + " (N = " + r.scaleReached()
                        + (r.scaleReached() < r.scaleAsked() ? " of " + r.scaleAsked() + " asked, budget hit" : "")
                        + ")");
        enrollRow(
                out,
                "median enroll, last 10 / first 10 (ms)",
                results,
                r -> f3(r.lastTenMedianMillis()) + " / " + f3(r.firstTenMedianMillis()));
        enrollRow(out, "all N enrolls (s)", results, r -> f1(r.scaleSeconds()));
        out.append("\nThe N pods are bare network namespaces (loopback only), enrolled one after the other.\n");
    }

    private static void enrollRow(
            StringBuilder out, String name, List<EnrollmentResult> results, Function<EnrollmentResult, String> cell) {
        out.append("| ").append(name).append(" |");
        for (EnrollmentResult r : results) {
            out.append(' ').append(cell.apply(r)).append(" |");
        }
        out.append('\n');
    }

    private static void row(
            StringBuilder out,
            String name,
            List<MeshVariantResult> results,
            Function<MeshVariantResult, String> cell,
            Optional<MeshVariantResult> base,
            Function<MeshVariantResult, Double> ratioOf) {
        out.append("| ").append(name).append(" |");
        for (MeshVariantResult r : results) {
            out.append(' ').append(cell.apply(r));
            if (ratioOf != null && base.isPresent() && r != base.get()) {
                double b = ratioOf.apply(base.get());
                if (b > 0) {
                    out.append(String.format(Locale.ROOT, " (%.2f×)", ratioOf.apply(r) / b));
                }
            }
            out.append(" |");
        }
        out.append('\n');
    }

    /** MiB/s, flagged when connections were lost along the way (a broken path, not a slow one). */
    private static String throughput(MeshThroughput t) {
        String mib = f0(t.mibPerSecond());
        return t.openStreamsAtEnd() < t.streams()
                ? mib + " [" + t.openStreamsAtEnd() + " of " + t.streams() + " connections open at the end]"
                : mib;
    }

    private static String each(MeshVariantResult r, Function<ProxyFigures, String> figure) {
        if (r.proxies().isEmpty()) {
            return "—";
        }
        return r.proxies().stream().map(figure).collect(Collectors.joining(" / "));
    }

    private static String f0(double v) {
        return String.format(Locale.ROOT, "%.0f", v);
    }

    private static String f1(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String f3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static String f4(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
