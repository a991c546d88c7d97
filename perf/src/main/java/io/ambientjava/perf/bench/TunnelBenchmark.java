package io.ambientjava.perf.bench;

import io.ambientjava.perf.load.BulkSender;
import io.ambientjava.perf.load.EchoSinkServer;
import io.ambientjava.perf.load.LatencyPlan;
import io.ambientjava.perf.load.LatencyProbe;
import io.ambientjava.perf.load.LatencySample;
import io.ambientjava.perf.net.EpollGroups;
import io.ambientjava.perf.proc.ProcFiles;
import io.ambientjava.perf.tunnel.TunnelKind;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs every case of every variant in turn: bulk throughput over one and over many streams, then open-loop latency
 * at each rate, with the tunnel (when there is one) in a child JVM whose CPU and memory are sampled around each
 * measured window.
 */
public final class TunnelBenchmark {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CHILD_READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(10);

    private final BenchmarkOptions options;
    private final PrintStream log;
    private final ProcFiles proc = ProcFiles.system();

    public TunnelBenchmark(BenchmarkOptions options, PrintStream log) {
        this.options = options;
        this.log = log;
    }

    public BenchmarkReport run() throws InterruptedException {
        Instant started = Instant.now();
        long startNanos = System.nanoTime();
        String loadBefore = proc.loadAverage();
        List<VariantResult> results = new ArrayList<>();
        List<String> tunnelCommand = List.of();
        EventLoopGroup serverGroup = EpollGroups.create("perf-server", options.loadThreads());
        EventLoopGroup clientGroup = EpollGroups.create("perf-load", options.loadThreads());
        try (EchoSinkServer server = EchoSinkServer.start(serverGroup)) {
            for (Variant variant : options.variants()) {
                log.println("== " + variant.label());
                if (variant.tunnel().isPresent()) {
                    tunnelCommand = childCommand(variant.tunnel().get(), server.address());
                }
                results.add(measure(variant, server, clientGroup, tunnelCommand));
            }
        } finally {
            EpollGroups.shutdown(clientGroup);
            EpollGroups.shutdown(serverGroup);
        }
        return new BenchmarkReport(
                options,
                started,
                Duration.ofNanos(System.nanoTime() - startNanos),
                machine(),
                loadBefore,
                proc.loadAverage(),
                ManagementFactory.getRuntimeMXBean().getInputArguments(),
                tunnelCommand,
                results);
    }

    private List<String> childCommand(TunnelKind kind, InetSocketAddress target) {
        return TunnelChild.command(kind, target, options.tunnelThreads(), options.tunnelJvmOptions(), childLifetime());
    }

    /** Generous: every case of one variant, with warm-ups, drains and start-up, several times over. */
    private Duration childLifetime() {
        int cases = 4 + options.rates().size(); // warm-up (2), throughput (2), latency
        Duration perCase =
                options.warmup().plus(options.duration()).plus(DRAIN_TIMEOUT).plus(SETTLE_TIMEOUT);
        return perCase.multipliedBy(cases).plus(CHILD_READY_TIMEOUT).multipliedBy(3);
    }

    private VariantResult measure(
            Variant variant, EchoSinkServer server, EventLoopGroup clientGroup, List<String> tunnelCommand)
            throws InterruptedException {
        OtherCpuUse others = OtherCpuUse.startWindow(proc);
        Map<Integer, ThroughputResult> throughput = new LinkedHashMap<>();
        Map<Integer, LatencyResult> latency = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        TunnelChild child = null;
        try {
            if (variant.tunnel().isPresent()) {
                child = TunnelChild.start(tunnelCommand, CHILD_READY_TIMEOUT, log);
                log.println("   tunnel child pid " + child.pid() + ", entry " + child.entryAddress());
            }
            InetSocketAddress target = child == null ? server.address() : child.entryAddress();
            warmUp(server, clientGroup, target);
            for (int streams : ResultsTable.streamCounts(options)) {
                try {
                    ThroughputResult result = throughput(server, clientGroup, target, streams, child);
                    throughput.put(streams, result);
                    log.printf(
                            "   throughput %d stream(s): %s MiB/s%n", streams, Figures.number(result.mibPerSecond()));
                } catch (RuntimeException | TimeoutException e) {
                    problems.add("throughput with " + streams + " stream(s) failed: " + e.getMessage());
                }
                awaitQuiet(server);
            }
            for (int rate : options.rates()) {
                try {
                    LatencyResult result = latency(clientGroup, target, rate, child);
                    latency.put(rate, result);
                    log.printf(
                            "   latency @ %d rps: p50 %s µs, p99 %s µs%n",
                            rate,
                            Figures.number(result.sample().percentileMicros(50)),
                            Figures.number(result.sample().percentileMicros(99)));
                } catch (RuntimeException | TimeoutException | ExecutionException e) {
                    problems.add("latency at " + rate + " rps failed: " + e);
                }
                awaitQuiet(server);
            }
            OptionalLong peakRss = child == null
                    ? OptionalLong.empty()
                    : OptionalLong.of(child.memory().peakResidentBytes());
            if (child != null && !child.isAlive()) {
                problems.add("the tunnel process died during the run");
            }
            double otherCpus = others.otherCpus(child == null ? 0 : child.cpuSeconds());
            return new VariantResult(variant, throughput, latency, peakRss, problems, OptionalDouble.of(otherCpus));
        } catch (IOException | RuntimeException e) {
            problems.add("could not run: " + e.getMessage());
            return new VariantResult(
                    variant, throughput, latency, OptionalLong.empty(), problems, OptionalDouble.empty());
        } finally {
            if (child != null) {
                child.close();
            }
        }
    }

    /**
     * Runs bulk and echo traffic through a fresh path once, unmeasured, so the first case does not pay for class
     * loading and the JIT of a newly started tunnel (or of this JVM, for the first variant).
     */
    private void warmUp(EchoSinkServer server, EventLoopGroup clientGroup, InetSocketAddress target)
            throws InterruptedException {
        if (options.warmup().isZero()) {
            return;
        }
        try (BulkSender sender = BulkSender.start(clientGroup, target, 1, options.chunkSize(), CONNECT_TIMEOUT)) {
            Thread.sleep(options.warmup());
        }
        awaitQuiet(server);
        LatencyPlan plan = new LatencyPlan(
                options.rates().isEmpty() ? 1_000 : options.rates().getFirst(),
                options.latencyConnections(),
                options.messageSize(),
                Duration.ZERO,
                options.warmup(),
                DRAIN_TIMEOUT);
        try {
            LatencyProbe.start(clientGroup.next(), target, plan)
                    .sample()
                    .get(
                            options.warmup()
                                    .plus(DRAIN_TIMEOUT)
                                    .plus(SETTLE_TIMEOUT)
                                    .toMillis(),
                            TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            log.println("   warm-up traffic failed: " + e);
        }
        awaitQuiet(server);
    }

    private ThroughputResult throughput(
            EchoSinkServer server, EventLoopGroup clientGroup, InetSocketAddress target, int streams, TunnelChild child)
            throws InterruptedException, TimeoutException {
        try (BulkSender sender = BulkSender.start(clientGroup, target, streams, options.chunkSize(), CONNECT_TIMEOUT)) {
            Thread.sleep(options.warmup());
            long bytesBefore = server.sinkBytes();
            OptionalDouble cpuBefore = cpu(child);
            long start = System.nanoTime();
            long deadline = start + options.duration().toNanos();
            long bytes;
            long now;
            do {
                Thread.sleep(5);
                now = System.nanoTime();
                bytes = server.sinkBytes() - bytesBefore;
                if (sender.openStreams() < streams) {
                    throw new IllegalStateException((streams - sender.openStreams()) + " of " + streams
                            + " streams were closed during the transfer");
                }
            } while (bytes < options.maxBytes() && now < deadline);
            OptionalDouble cpuAfter = cpu(child);
            if (bytes == 0) {
                throw new TimeoutException("no byte reached the sink in " + options.duration());
            }
            return new ThroughputResult(streams, bytes, (now - start) / 1e9, difference(cpuBefore, cpuAfter));
        }
    }

    private LatencyResult latency(EventLoopGroup clientGroup, InetSocketAddress target, int rate, TunnelChild child)
            throws InterruptedException, TimeoutException, ExecutionException {
        LatencyPlan plan = new LatencyPlan(
                rate,
                options.latencyConnections(),
                options.messageSize(),
                options.warmup(),
                options.duration(),
                DRAIN_TIMEOUT);
        LatencyProbe.Run run = LatencyProbe.start(clientGroup.next(), target, plan);
        sleepUntil(run.measureFromNanos());
        OptionalDouble cpuBefore = cpu(child);
        sleepUntil(run.measureUntilNanos());
        OptionalDouble cpuAfter = cpu(child);
        long waitMillis = DRAIN_TIMEOUT.plus(SETTLE_TIMEOUT).toMillis();
        LatencySample sample = run.sample().get(waitMillis, TimeUnit.MILLISECONDS);
        double seconds = (run.measureUntilNanos() - run.measureFromNanos()) / 1e9;
        return new LatencyResult(sample, seconds, difference(cpuBefore, cpuAfter));
    }

    /** Waits (bounded) until the previous case's connections are gone, so cases do not overlap. */
    private static void awaitQuiet(EchoSinkServer server) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
        while (server.openConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(200); // let the tunnel finish its own teardown before the next window
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long remaining = nanoTime - System.nanoTime();
        if (remaining > 0) {
            TimeUnit.NANOSECONDS.sleep(remaining);
        }
    }

    private static OptionalDouble cpu(TunnelChild child) {
        return child == null ? OptionalDouble.empty() : OptionalDouble.of(child.cpuSeconds());
    }

    private static OptionalDouble difference(OptionalDouble before, OptionalDouble after) {
        return before.isPresent() && after.isPresent()
                ? OptionalDouble.of(after.getAsDouble() - before.getAsDouble())
                : OptionalDouble.empty();
    }

    private static String machine() {
        return Runtime.getRuntime().availableProcessors() + " CPUs, " + System.getProperty("os.name") + " "
                + System.getProperty("os.version") + ", Java " + Runtime.version() + " ("
                + System.getProperty("java.vm.name") + ")";
    }
}
