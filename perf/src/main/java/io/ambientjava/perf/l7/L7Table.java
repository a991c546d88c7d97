package io.ambientjava.perf.l7;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The report as Markdown: one column per variant, the targets with PASS / FALL SHORT, the conditions. */
final class L7Table {

    static final double TARGET_CORES = 0.25;
    static final double TARGET_RSS_MIB = 96;
    static final double TARGET_ADDED_P99_MS = 1.0;
    static final double TARGET_THROUGHPUT_RATIO = 0.8;

    private L7Table() {}

    static String markdown(L7Report report) {
        L7Options o = report.options();
        List<L7Result> results = report.results();
        StringBuilder out = new StringBuilder();
        out.append("### L7: client → ztunnel → waypoint → ztunnel → server, HTTP/1.1 GET, ")
                .append(o.bodyBytes())
                .append(" B answers (")
                .append(report.started())
                .append(")\n\n| figure | ")
                .append(results.stream().map(r -> r.variant().label()).collect(Collectors.joining(" | ")))
                .append(" |\n|---|")
                .append("---|".repeat(results.size()))
                .append('\n');
        row(
                out,
                "max throughput (req/s, wrk, " + o.connections() + " conns)",
                results,
                r -> "%,.0f".formatted(r.max().requestsPerSecond()) + ratioToNginx(report, r));
        row(
                out,
                "wrk requests / errors",
                results,
                r -> r.max().requests() + " / " + r.max().errors());
        String at = "%,d rps, %d conns".formatted(o.rate(), o.connections());
        for (double p : new double[] {50, 90, 99}) {
            row(
                    out,
                    "latency p%.0f (ms), %s".formatted(p, at),
                    results,
                    r -> f3(r.latency().micros(p) / 1000) + addedOverL4(report, r, p));
        }
        row(out, "latency max (ms)", results, r -> f3(r.latency().histogram().getMaxValue() / 1e6));
        row(
                out,
                "requests sent / answered / failed / non-2xx",
                results,
                r -> r.latency().sent() + " / " + r.latency().answered() + " / "
                        + r.latency().failed() + " / " + r.latency().non2xx());
        row(
                out,
                "proxy CPU s per 1,000 answered requests (= cores per 1,000 rps) at " + at,
                results,
                r -> each(r, i -> f3(perThousand(r, i))));
        row(out, "proxy cores at max throughput", results, r -> each(r, i -> f2(r.maxCpu()[i] / r.maxWindowSeconds())));
        row(
                out,
                "proxy CPU per 1,000 rps at max throughput (cores)",
                results,
                r -> each(
                        r,
                        i -> f3(r.maxCpu()[i]
                                / r.maxWindowSeconds()
                                / Math.max(1e-9, r.max().requestsPerSecond() / 1000))));
        row(out, "proxy RSS after the latency case (MiB)", results, r -> each(r, i -> f1(mib(r.residentBytes()[i]))));
        row(out, "proxy peak RSS, VmHWM (MiB)", results, r -> each(r, i -> f1(mib(r.peakResidentBytes()[i]))));
        out.append("\nProxies per column, in order: ");
        out.append(results.stream()
                .map(r -> r.variant().key() + " = " + String.join(", ", r.proxies()))
                .collect(Collectors.joining("; ")));
        out.append(".\n\n**Targets**\n\n| target | measured | verdict |\n|---|---|---|\n");
        for (String[] t : targets(report)) {
            out.append("| ")
                    .append(t[0])
                    .append(" | ")
                    .append(t[1])
                    .append(" | ")
                    .append(t[2])
                    .append(" |\n");
        }
        out.append("\n**Conditions**: ")
                .append(report.cpus())
                .append(" CPUs; load average before ")
                .append(report.loadBefore())
                .append(", after ")
                .append(report.loadAfter())
                .append("; warm-up ")
                .append(o.warmup().toMillis())
                .append(" ms, latency window ")
                .append(o.duration().toMillis())
                .append(" ms, wrk ")
                .append(o.maxDuration().toSeconds())
                .append(" s per variant (wrk -t1). nginx: 1 worker, TLS 1.3 towards wrk (server certificate only: wrk"
                        + " cannot present a client certificate), keep-alive upstream, an access log line per request"
                        + " (buffered, flushed every 100 ms, as the waypoint's); nginx-mtls adds TLS 1.3 to the server"
                        + " with nginx's client certificate.\n");
        if (!report.waypointCommand().isEmpty()) {
            out.append("\nWaypoint command: `")
                    .append(String.join(" ", report.waypointCommand()))
                    .append("`\n");
        }
        return out.toString();
    }

    static List<String[]> targets(L7Report report) {
        List<String[]> out = new ArrayList<>();
        Optional<L7Result> waypoint = find(report, L7Variant.WAYPOINT);
        Optional<L7Result> l4 = find(report, L7Variant.L4);
        Optional<L7Result> nginx = reference(report);
        Optional<String> broken = waypoint.flatMap(L7Table::brokenRun)
                .or(() -> l4.flatMap(L7Table::brokenRun))
                .or(() -> nginx.flatMap(L7Table::brokenRun));
        if (waypoint.isPresent() && broken.isPresent()) {
            out.add(new String[] {"every target", broken.get(), "NO VERDICT"});
            return out;
        }
        engineTarget(report).ifPresent(out::add);
        waypoint.ifPresent(w -> {
            double cores = perThousand(w, 0);
            out.add(verdict(
                    "waypoint CPU at 1,000 rps ≤ " + TARGET_CORES + " core",
                    f3(cores) + " core per 1,000 rps",
                    cores <= TARGET_CORES));
            double rss = mib(w.residentBytes()[0]);
            out.add(verdict(
                    "waypoint RSS at 1,000 rps ≤ " + (int) TARGET_RSS_MIB + " MiB",
                    f1(rss) + " MiB (VmHWM " + f1(mib(w.peakResidentBytes()[0])) + ")",
                    rss <= TARGET_RSS_MIB));
            l4.ifPresent(base -> {
                double added = (w.latency().micros(99) - base.latency().micros(99)) / 1000;
                out.add(verdict(
                        "p99 added by the waypoint hop ≤ " + TARGET_ADDED_P99_MS + " ms",
                        f3(added) + " ms",
                        added <= TARGET_ADDED_P99_MS));
            });
            nginx.ifPresent(n -> {
                double ratio =
                        w.max().requestsPerSecond() / Math.max(1e-9, n.max().requestsPerSecond());
                out.add(verdict(
                        "max throughput ≥ " + TARGET_THROUGHPUT_RATIO + "× "
                                + n.variant().label(),
                        "%.2f×".formatted(ratio),
                        ratio >= TARGET_THROUGHPUT_RATIO));
            });
        });
        return out;
    }

    /**
     * The throughput target judged proxy for proxy: the gateway (this project's L7 engine) against nginx on the same
     * route, TLS in and mutual TLS out, each the only proxy on its path.
     */
    private static Optional<String[]> engineTarget(L7Report report) {
        Optional<L7Result> gateway = find(report, L7Variant.GATEWAY_MTLS);
        Optional<L7Result> nginx = find(report, L7Variant.NGINX_MTLS);
        if (gateway.isEmpty() || nginx.isEmpty()) {
            return Optional.empty();
        }
        String goal = "max throughput ≥ " + TARGET_THROUGHPUT_RATIO + "× nginx, proxy for proxy (gateway-mtls"
                + " against nginx-mtls)";
        Optional<String> broken = brokenRun(gateway.get()).or(() -> brokenRun(nginx.get()));
        if (broken.isPresent()) {
            return Optional.of(new String[] {goal, broken.get(), "NO VERDICT"});
        }
        double ratio = gateway.get().max().requestsPerSecond()
                / Math.max(1e-9, nginx.get().max().requestsPerSecond());
        return Optional.of(verdict(goal, "%.2f×".formatted(ratio), ratio >= TARGET_THROUGHPUT_RATIO));
    }

    /**
     * Why a variant's figures cannot be judged: a proxy that exited (its RSS reads 0) or requests that failed make
     * every figure of the run meaningless, however good it looks.
     */
    static Optional<String> brokenRun(L7Result r) {
        for (int i = 0; i < r.proxies().size(); i++) {
            if (r.residentBytes()[i] == 0) {
                return Optional.of(r.variant().label() + ": " + r.proxies().get(i) + " was gone (no RSS to read)");
            }
        }
        HttpOpenLoopProbe.Result latency = r.latency();
        if (latency.failed() > 0 || latency.non2xx() > 0 || latency.answered() < latency.sent()) {
            return Optional.of(r.variant().label() + ": " + (latency.sent() - latency.answered() + latency.non2xx())
                    + " of " + latency.sent() + " fixed-rate requests failed or were not answered 2xx");
        }
        if (r.max().errors() > 0) {
            return Optional.of(r.variant().label() + ": wrk saw " + r.max().errors() + " errors");
        }
        return Optional.empty();
    }

    /**
     * CPU seconds per 1,000 requests answered in the latency window: cores per 1,000 rps, also when a path could not
     * keep the rate and answered fewer.
     */
    private static double perThousand(L7Result r, int proxy) {
        long answered = Math.max(1, r.latency().histogram().getTotalCount());
        return r.latencyCpu()[proxy] / (answered / 1000.0);
    }

    private static String[] verdict(String goal, String measured, boolean pass) {
        return new String[] {goal, measured, pass ? "PASS" : "FALL SHORT"};
    }

    private static Optional<L7Result> find(L7Report report, L7Variant variant) {
        return report.results().stream().filter(r -> r.variant() == variant).findFirst();
    }

    /**
     * The nginx run the throughput target compares with: nginx with TLS on both hops when it ran (the waypoint
     * encrypts both of its hops too), else nginx with TLS towards the client only.
     */
    static Optional<L7Result> reference(L7Report report) {
        return find(report, L7Variant.NGINX_MTLS).or(() -> find(report, L7Variant.NGINX));
    }

    private static String ratioToNginx(L7Report report, L7Result r) {
        if (r.variant().isNginx()) {
            return "";
        }
        return reference(report)
                .map(n -> " (%.2f× %s)"
                        .formatted(
                                r.max().requestsPerSecond()
                                        / Math.max(1e-9, n.max().requestsPerSecond()),
                                n.variant().key()))
                .orElse("");
    }

    private static String addedOverL4(L7Report report, L7Result r, double p) {
        if (r.variant() != L7Variant.WAYPOINT) {
            return "";
        }
        return find(report, L7Variant.L4)
                .map(b -> " (%+.3f)"
                        .formatted((r.latency().micros(p) - b.latency().micros(p)) / 1000))
                .orElse("");
    }

    private static void row(StringBuilder out, String name, List<L7Result> results, Function<L7Result, String> cell) {
        out.append("| ").append(name).append(" | ");
        out.append(results.stream().map(cell).collect(Collectors.joining(" | ")));
        out.append(" |\n");
    }

    private static String each(L7Result r, java.util.function.IntFunction<String> value) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < r.proxies().size(); i++) {
            parts.add(value.apply(i));
        }
        return String.join(" / ", parts);
    }

    static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    private static String f1(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String f2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String f3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
