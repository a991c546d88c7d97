package io.ambientjava.perf.bench;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Function;

/** Renders a {@link BenchmarkReport} as Markdown: the figures, the HBONE ratios, the targets, the conditions. */
public final class ResultsTable {

    private static final double MIB = 1024.0 * 1024.0;

    private ResultsTable() {}

    private record Row(String label, Function<VariantResult, OptionalDouble> figure) {}

    public static String render(BenchmarkReport report) {
        StringBuilder out = new StringBuilder();
        BenchmarkOptions options = report.options();
        out.append("# Tunnel benchmark, ")
                .append(report.started().truncatedTo(ChronoUnit.SECONDS))
                .append("\n\n");
        out.append("Load generator → [tunnel entry → tunnel exit] → echo/sink server, all on 127.0.0.1. ")
                .append("Both tunnel ends run in one child JVM; its CPU and peak RSS come from /proc.\n\n");

        boolean ratios = report.result(Variant.HBONE).isPresent();
        List<Variant> bases = new ArrayList<>();
        if (ratios) {
            for (Variant base : List.of(Variant.DIRECT, Variant.TLS)) {
                report.result(base).ifPresent(r -> bases.add(base));
            }
        }
        List<String> header = new ArrayList<>(List.of("metric"));
        report.results().forEach(r -> header.add(r.variant().label()));
        bases.forEach(base -> header.add("hbone/" + base.label()));
        out.append(row(header));
        out.append("|---|").append("--:|".repeat(header.size() - 1)).append('\n');

        for (Row row : rows(options)) {
            List<String> cells = new ArrayList<>(List.of(row.label()));
            for (VariantResult result : report.results()) {
                cells.add(Figures.number(row.figure().apply(result)));
            }
            OptionalDouble hbone = figure(report, Variant.HBONE, row);
            for (Variant base : bases) {
                cells.add(Figures.ratio(hbone, figure(report, base, row)));
            }
            out.append(row(cells));
        }
        for (int rate : options.rates()) {
            List<String> cells = new ArrayList<>(List.of("requests answered / failed @ " + rate(rate)));
            for (VariantResult result : report.results()) {
                cells.add(result.latency(rate)
                        .map(l -> l.sample().completed() + " / " + l.sample().failed())
                        .orElse(Figures.MISSING));
            }
            bases.forEach(base -> cells.add(Figures.MISSING));
            out.append(row(cells));
        }

        out.append("\n## Targets\n\n| target | measured (hbone vs tls) | verdict |\n|---|---|---|\n");
        for (TargetCheck check : TargetCheck.evaluate(report)) {
            out.append("| ")
                    .append(check.goal())
                    .append(" | ")
                    .append(check.measured())
                    .append(" | **")
                    .append(check.verdict().label())
                    .append("** |\n");
        }

        out.append("\n## Conditions\n\n");
        out.append("- machine: ").append(report.machine()).append('\n');
        out.append("- load average (1/5/15 min; after the start it counts the benchmark's own threads too) before: ")
                .append(report.loadBefore())
                .append(", after: ")
                .append(report.loadAfter())
                .append('\n');
        out.append("- CPU used by other processes while each variant ran (average CPUs busy, of ")
                .append(Runtime.getRuntime().availableProcessors())
                .append("): ")
                .append(String.join(
                        ", ",
                        report.results().stream()
                                .map(r -> r.variant().label() + " " + Figures.number(r.otherCpus()))
                                .toList()))
                .append('\n');
        out.append("- run took ").append(seconds(report.took())).append('\n');
        out.append(String.format(
                Locale.ROOT,
                "- each case: %s warm-up, then up to %s or %s MiB; bulk writes of %d KiB; %d concurrent streams;"
                        + " latency: %d B messages over %d connections, open-loop (timed from the intended send"
                        + " time)%n",
                seconds(options.warmup()),
                seconds(options.duration()),
                Figures.number(options.maxBytes() / MIB),
                options.chunkSize() / 1024,
                options.streams(),
                options.messageSize(),
                options.latencyConnections()));
        out.append("- load generator and server: ")
                .append(options.loadThreads())
                .append(" event loop thread(s) each, epoll; tunnel: ")
                .append(options.tunnelThreads())
                .append(" thread(s) per side\n");
        out.append("- benchmark JVM options: `")
                .append(String.join(" ", report.benchmarkJvmOptions()))
                .append("`\n");
        if (!report.tunnelCommand().isEmpty()) {
            out.append("- tunnel JVM: `")
                    .append(String.join(" ", withoutClassPath(report.tunnelCommand())))
                    .append("`\n");
        }

        List<String> problems = new ArrayList<>();
        for (VariantResult result : report.results()) {
            result.problems().forEach(p -> problems.add(result.variant().label() + ": " + p));
        }
        if (!problems.isEmpty()) {
            out.append("\n## Problems\n\n");
            problems.forEach(p -> out.append("- ").append(p).append('\n'));
        }
        return out.toString();
    }

    private static String row(List<String> cells) {
        return "| " + String.join(" | ", cells) + " |\n";
    }

    private static List<Row> rows(BenchmarkOptions options) {
        List<Row> rows = new ArrayList<>();
        for (int streams : streamCounts(options)) {
            rows.add(new Row(
                    "throughput, " + streams(streams) + " (MiB/s)",
                    r -> r.throughput(streams)
                            .map(t -> OptionalDouble.of(t.mibPerSecond()))
                            .orElse(OptionalDouble.empty())));
            rows.add(new Row(
                    "throughput, " + streams(streams) + " (Gbit/s)",
                    r -> r.throughput(streams)
                            .map(t -> OptionalDouble.of(t.gbitPerSecond()))
                            .orElse(OptionalDouble.empty())));
        }
        for (int rate : options.rates()) {
            for (double percentile : new double[] {50, 90, 99}) {
                rows.add(new Row(
                        String.format(Locale.ROOT, "latency p%.0f @ %s (µs)", percentile, rate(rate)),
                        r -> present(r.latency(rate).map(l -> l.sample().percentileMicros(percentile)))));
            }
            rows.add(new Row(
                    "latency max @ " + rate(rate) + " (µs)",
                    r -> present(r.latency(rate).map(l -> l.sample().maxMicros()))));
        }
        for (int streams : streamCounts(options)) {
            rows.add(new Row(
                    "tunnel CPU per GiB, " + streams(streams) + " (s)",
                    r -> r.throughput(streams)
                            .map(ThroughputResult::cpuSecondsPerGib)
                            .orElse(OptionalDouble.empty())));
        }
        for (int rate : options.rates()) {
            rows.add(new Row(
                    "tunnel CPU @ " + rate(rate) + " (vCPU)",
                    r -> r.latency(rate).map(LatencyResult::tunnelCpus).orElse(OptionalDouble.empty())));
        }
        rows.add(new Row(
                "tunnel peak RSS, VmHWM (MiB)",
                r -> r.tunnelPeakRssBytes().isPresent()
                        ? OptionalDouble.of(r.tunnelPeakRssBytes().getAsLong() / MIB)
                        : OptionalDouble.empty()));
        return rows;
    }

    static List<Integer> streamCounts(BenchmarkOptions options) {
        return options.streams() == 1 ? List.of(1) : List.of(1, options.streams());
    }

    private static OptionalDouble figure(BenchmarkReport report, Variant variant, Row row) {
        return report.result(variant).map(row.figure()).orElse(OptionalDouble.empty());
    }

    private static OptionalDouble present(Optional<Double> value) {
        return value.map(OptionalDouble::of).orElse(OptionalDouble.empty());
    }

    private static String streams(int count) {
        return count == 1 ? "1 stream" : count + " streams";
    }

    private static String rate(int rate) {
        return String.format(Locale.ROOT, "%,d rps", rate);
    }

    private static String seconds(Duration duration) {
        return Figures.number(duration.toNanos() / 1e9) + " s";
    }

    /** The class path is long and machine-specific; the report shows the rest of the command. */
    private static List<String> withoutClassPath(List<String> command) {
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < command.size(); i++) {
            if (command.get(i).equals("-cp") && i + 1 < command.size()) {
                shown.add("-cp");
                shown.add("…");
                i++;
            } else {
                shown.add(command.get(i));
            }
        }
        return shown;
    }
}
