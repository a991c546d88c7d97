package io.ambientjava.perf.cli;

import io.ambientjava.perf.bench.BenchmarkOptions;
import io.ambientjava.perf.bench.BenchmarkReport;
import io.ambientjava.perf.bench.ResultsTable;
import io.ambientjava.perf.bench.RoundMedian;
import io.ambientjava.perf.bench.TunnelBenchmark;
import io.ambientjava.perf.bench.Variant;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tunnel}: the whole-process loopback benchmark of direct, TLS and HBONE paths. */
@Command(
        name = "tunnel",
        mixinStandardHelpOptions = true,
        description = {
            "Measures throughput (1 and N streams), open-loop latency at fixed rates, and the tunnel process's CPU"
                    + " per GiB and peak RSS, for each variant: direct (no tunnel), tls (one mTLS connection per TCP"
                    + " connection), hbone (HTTP/2 CONNECT over pooled mTLS). Everything runs on 127.0.0.1; the"
                    + " tunnel runs in a child JVM.",
            "Prints a Markdown table and writes it to --out."
        })
public final class TunnelCommand implements Callable<Integer> {

    private static final DateTimeFormatter FILE_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    @Option(
            names = "--variants",
            split = ",",
            paramLabel = "VARIANT",
            description = "Variants to run, in order (default: direct,tls,hbone).")
    List<String> variants;

    @Option(
            names = "--quick",
            description = "Smoke run: 0.5 s warm-up and 2 s (or 512 MiB) per case unless given explicitly.")
    boolean quick;

    @Option(
            names = "--warmup",
            converter = DurationConverter.class,
            paramLabel = "TIME",
            description = "Warm-up per case, not measured (default 5s: C2 has then compiled the tunnel's paths).")
    Duration warmup;

    @Option(
            names = "--duration",
            converter = DurationConverter.class,
            paramLabel = "TIME",
            description = "Longest measured time per case (default 10s).")
    Duration duration;

    @Option(
            names = "--max-bytes",
            converter = ByteSizeConverter.class,
            paramLabel = "SIZE",
            description = "A throughput case also stops after this many bytes (default 2GiB).")
    Long maxBytes;

    @Option(names = "--streams", description = "Concurrent streams of the multi-stream case (default 64).")
    Integer streams;

    @Option(
            names = "--chunk-size",
            converter = ByteSizeConverter.class,
            paramLabel = "SIZE",
            description = "Bytes per bulk write (default 64KiB).")
    Long chunkSize;

    @Option(
            names = "--rates",
            split = ",",
            paramLabel = "RPS",
            description = "Request rates of the latency cases (default 1000,10000).")
    List<Integer> rates;

    @Option(names = "--connections", description = "Connections the latency load is spread over (default 16).")
    Integer connections;

    @Option(
            names = "--message-size",
            converter = ByteSizeConverter.class,
            paramLabel = "SIZE",
            description = "Request and answer size of the latency cases (default 1024).")
    Long messageSize;

    @Option(names = "--load-threads", description = "Event loop threads of load generator and server (default 1).")
    Integer loadThreads;

    @Option(names = "--tunnel-threads", description = "Event loop threads per tunnel side (default 1).")
    Integer tunnelThreads;

    @Option(
            names = "--tunnel-jvm-opts",
            paramLabel = "OPTS",
            description = "JVM options of the tunnel process, space-separated (default: "
                    + "-Xms64m -Xmx256m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError"
                    + " -Dio.netty.leakDetection.level=disabled plus native/unsafe access flags).")
    String tunnelJvmOptions;

    @Option(
            names = "--out",
            paramLabel = "FILE",
            description = "Where to write the Markdown results (default perf/results/<UTC time>.md).")
    Path out;

    @Option(
            names = "--rounds",
            description = "Rounds of every case, the variant order reversed every other round; the report shows per"
                    + " case the round with the median figure and lists each round's target figures (default 3,"
                    + " 1 with --quick).")
    Integer rounds;

    PrintStream stdout = System.out;
    PrintStream stderr = System.err;

    @Override
    public Integer call() throws Exception {
        BenchmarkOptions options = options();
        int count = rounds != null ? rounds : quick ? 1 : 3;
        if (count < 1) {
            throw new picocli.CommandLine.ParameterException(
                    new picocli.CommandLine(this), "--rounds must be at least 1, was " + count);
        }
        List<BenchmarkReport> reports = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            List<Variant> order = new ArrayList<>(options.variants());
            if (i % 2 == 1) {
                java.util.Collections.reverse(order);
            }
            stderr.println("# round " + (i + 1) + " of " + count + ": " + order);
            reports.add(new TunnelBenchmark(options.withVariants(order), stderr).run());
        }
        BenchmarkReport report = RoundMedian.of(reports);
        String table = ResultsTable.render(report) + (count > 1 ? "\n" + RoundMedian.roundsSection(reports) : "");
        stdout.println(table);
        Path file = out != null ? out : Path.of("perf", "results", FILE_TIME.format(report.started()) + ".md");
        write(file, table);
        stderr.println("results written to " + file.toAbsolutePath());
        return 0;
    }

    BenchmarkOptions options() {
        BenchmarkOptions base = BenchmarkOptions.defaults();
        if (quick) {
            base = base.quick();
        }
        return new BenchmarkOptions(
                variants == null
                        ? base.variants()
                        : variants.stream().map(Variant::parse).toList(),
                warmup == null ? base.warmup() : warmup,
                duration == null ? base.duration() : duration,
                maxBytes == null ? base.maxBytes() : maxBytes,
                streams == null ? base.streams() : streams,
                chunkSize == null ? base.chunkSize() : Math.toIntExact(chunkSize),
                rates == null ? base.rates() : rates,
                connections == null ? base.latencyConnections() : connections,
                messageSize == null ? base.messageSize() : Math.toIntExact(messageSize),
                loadThreads == null ? base.loadThreads() : loadThreads,
                tunnelThreads == null ? base.tunnelThreads() : tunnelThreads,
                tunnelJvmOptions == null
                        ? base.tunnelJvmOptions()
                        : Arrays.stream(tunnelJvmOptions.trim().split("\\s+"))
                                .filter(s -> !s.isEmpty())
                                .toList());
    }

    private static void write(Path file, String content) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, content);
    }
}
