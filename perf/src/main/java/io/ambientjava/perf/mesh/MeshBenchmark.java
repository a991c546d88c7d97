package io.ambientjava.perf.mesh;

import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.perf.load.BulkSender;
import io.ambientjava.perf.load.EchoSinkServer;
import io.ambientjava.perf.load.LatencyPlan;
import io.ambientjava.perf.load.LatencyProbe;
import io.ambientjava.perf.load.LatencySample;
import io.ambientjava.perf.net.EpollGroups;
import io.ambientjava.perf.proc.MemoryStatus;
import io.ambientjava.perf.proc.ProcFiles;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Node;
import io.ambientjava.testing.netns.Pod;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Pod to pod across two nodes of a fresh network-namespace topology per variant: the client pod on node 1, the
 * server pod on node 2. The load generator and the echo/sink server run in this JVM on event loops started here;
 * their sockets are created inside the pods. Per variant: the latency case first (so the proxies' resident memory
 * is read at that load), then bulk throughput over one and over many connections. The ztunnel variant runs once
 * per redirection mode asked for, each on a fresh topology; then, if asked, the enrollment figures per mode.
 */
public final class MeshBenchmark {

    private static final int CHUNK_SIZE = 64 * 1024;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);

    private final MeshOptions options;
    private final PrintStream progress;

    public MeshBenchmark(MeshOptions options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
    }

    public MeshReport run() throws Exception {
        Instant started = Instant.now();
        String loadBefore = ProcFiles.system().loadAverage();
        EventLoopGroup clientGroup = EpollGroups.create("mesh-load", 1);
        EventLoopGroup serverGroup = EpollGroups.create("mesh-server", 1);
        try {
            // Start the loops' threads here, in the host namespace, before any work is done from inside a pod.
            prestart(clientGroup);
            prestart(serverGroup);
            List<MeshVariantResult> results = new ArrayList<>();
            for (MeshVariant variant : options.variants()) {
                if (variant != MeshVariant.ZTUNNEL) {
                    progress.println("mesh: " + variant.label() + " ...");
                    results.add(runVariant(variant, Optional.empty(), clientGroup, serverGroup));
                    continue;
                }
                for (MeshRedirect mode : options.redirects()) {
                    progress.println("mesh: " + variant.label() + " (" + mode.label() + ") ...");
                    // Opened before the topology, closed after it: ztunnel must start inside the eBPF mode's
                    // cgroup, which can only be left once ztunnel has ended.
                    try (NodeRedirection redirection = NodeRedirection.open(mode)) {
                        results.add(runVariant(variant, Optional.of(redirection), clientGroup, serverGroup));
                    }
                }
            }
            List<EnrollmentResult> enrollment = new ArrayList<>();
            if (options.enrollment().isPresent()) {
                EnrollmentBenchmark bench =
                        new EnrollmentBenchmark(options.enrollment().get(), progress);
                for (MeshRedirect mode : options.redirects()) {
                    progress.println("mesh: enrollment " + mode.label() + " ...");
                    try (NodeRedirection redirection = NodeRedirection.open(mode)) {
                        enrollment.add(bench.measure(redirection));
                    }
                }
            }
            return new MeshReport(
                    options,
                    results,
                    enrollment,
                    started,
                    Runtime.getRuntime().availableProcessors(),
                    loadBefore,
                    ProcFiles.system().loadAverage());
        } finally {
            EpollGroups.shutdown(clientGroup);
            EpollGroups.shutdown(serverGroup);
        }
    }

    private MeshVariantResult runVariant(
            MeshVariant variant,
            Optional<NodeRedirection> redirection,
            EventLoopGroup clientGroup,
            EventLoopGroup serverGroup)
            throws Exception {
        Path dir = Files.createTempDirectory("ambient-perf-mesh-" + variant.label() + "-");
        try (NetnsTopology net = NetnsTopology.withNodes(options.sameNode() ? 1 : 2)) {
            Node clientNode = net.node(1);
            Node serverNode = options.sameNode() ? clientNode : net.node(2);
            Pod client = clientNode.addPod("client");
            Pod server = serverNode.addPod("server");
            try (PodSinkServer sink = PodSinkServer.start(server, serverGroup, 0)) {
                InetSocketAddress target = server.address(sink.port());
                List<ProxyProcess> proxies = List.of();
                switch (variant) {
                    case DIRECT -> {}
                    case ZTUNNEL ->
                        proxies = startZtunnels(dir, redirection.orElseThrow(), clientNode, client, serverNode, server);
                    case STUNNEL -> {
                        StunnelLauncher.Pair pair = new StunnelLauncher(options.stunnelBinary())
                                .start(
                                        client,
                                        server,
                                        sink.port(),
                                        MeshCertificateAuthority.createSelfSigned("cluster.local"),
                                        dir);
                        proxies = pair.processes();
                        target = pair.entry();
                    }
                }
                checkPath(client, target, proxies);
                LatencyMeasurement latency = measureLatency(client, target, clientGroup.next(), proxies);
                MeshThroughput single = measureThroughput(client, target, clientGroup, sink, 1);
                MeshThroughput multi = measureThroughput(client, target, clientGroup, sink, options.streams());
                proxies.forEach(ProxyProcess::checkAlive);
                return new MeshVariantResult(
                        variant,
                        redirection.map(NodeRedirection::mode),
                        single,
                        multi,
                        latency.sample(),
                        latency.proxies(),
                        proxies.stream()
                                .map(p -> String.join(" ", p.started().command()))
                                .toList());
            }
        } finally {
            deleteTree(dir);
        }
    }

    private List<ProxyProcess> startZtunnels(
            Path dir, NodeRedirection redirection, Node clientNode, Pod client, Node serverNode, Pod server)
            throws InterruptedException, IOException {
        var redirector = redirection.redirector();
        redirector.apply(client.netnsPath());
        redirector.apply(server.netnsPath());
        Path caDir = dir.resolve("cacerts");
        MeshCertificateAuthority.createSelfSigned("cluster.local").writeTo(caDir);
        Path config = Files.writeString(
                dir.resolve("mesh.yaml"),
                LocalMeshConfig.yaml(List.of(
                        new LocalMeshConfig.MeshWorkload("client", client.ip(), clientNode.name()),
                        new LocalMeshConfig.MeshWorkload("server", server.ip(), serverNode.name()))));
        ZtunnelLauncher launcher =
                new ZtunnelLauncher(options.ztunnelJar(), options.ztunnelJvmOptions(), redirection.ztunnelOptions());
        if (clientNode == serverNode) {
            return List.of(launcher.start(clientNode, config, caDir, List.of(client, server)));
        }
        ProxyProcess clientSide = launcher.start(clientNode, config, caDir, List.of(client));
        ProxyProcess serverSide = launcher.start(serverNode, config, caDir, List.of(server));
        return List.of(clientSide, serverSide);
    }

    /** One small echo through the path, so that a broken path fails with the proxies' logs, not as a timeout. */
    private static void checkPath(Pod client, InetSocketAddress target, List<ProxyProcess> proxies) {
        try (Socket socket = client.connect(target)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(new byte[] {EchoSinkServer.MODE_ECHO, 'p', 'i', 'n', 'g'});
            InputStream in = socket.getInputStream();
            byte[] back = in.readNBytes(4);
            if (!Arrays.equals(back, new byte[] {'p', 'i', 'n', 'g'})) {
                throw new IOException("echo answered " + back.length + " bytes: " + Arrays.toString(back));
            }
        } catch (Exception e) {
            StringBuilder logs = new StringBuilder();
            for (ProxyProcess proxy : proxies) {
                logs.append("\n--- ")
                        .append(proxy.name())
                        .append(" ---\n")
                        .append(proxy.started().log());
            }
            throw new IllegalStateException(
                    "no echo from " + target + " through the path: " + e.getMessage() + logs, e);
        }
    }

    private record LatencyMeasurement(LatencySample sample, List<ProxyFigures> proxies) {}

    private LatencyMeasurement measureLatency(
            Pod client, InetSocketAddress target, EventLoop loop, List<ProxyProcess> proxies) throws Exception {
        LatencyPlan plan = new LatencyPlan(
                options.rate(),
                options.connections(),
                options.messageSize(),
                options.warmup(),
                options.duration(),
                DRAIN_TIMEOUT);
        // connect() creates the sockets on the calling thread: inside the client pod.
        LatencyProbe.Run run = client.call(() -> LatencyProbe.start(loop, target, plan));
        sleepUntil(run.measureFromNanos());
        double[] cpuBefore =
                proxies.stream().mapToDouble(ProxyProcess::cpuSeconds).toArray();
        long from = System.nanoTime();
        sleepUntil(run.measureUntilNanos());
        double[] cpuAfter =
                proxies.stream().mapToDouble(ProxyProcess::cpuSeconds).toArray();
        double window = (System.nanoTime() - from) / 1e9;
        List<ProxyFigures> figures = new ArrayList<>();
        long requests = Math.max(1, Math.round(options.rate() * window));
        for (int i = 0; i < proxies.size(); i++) {
            MemoryStatus memory = proxies.get(i).memory();
            figures.add(new ProxyFigures(
                    proxies.get(i).name(),
                    cpuAfter[i] - cpuBefore[i],
                    window,
                    requests,
                    memory.residentBytes(),
                    memory.peakResidentBytes()));
        }
        LatencySample sample = run.sample().get(DRAIN_TIMEOUT.plusSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
        return new LatencyMeasurement(sample, figures);
    }

    private MeshThroughput measureThroughput(
            Pod client, InetSocketAddress target, EventLoopGroup group, PodSinkServer sink, int streams)
            throws Exception {
        BulkSender sender;
        try {
            sender = client.call(() -> BulkSender.start(group, target, streams, CHUNK_SIZE, CONNECT_TIMEOUT));
        } catch (IllegalStateException e) {
            // A path that refuses or resets connections is a result too: nothing got through, none stayed open.
            progress.println("mesh: " + streams + " bulk connection(s) failed: " + e.getMessage()
                    + (e.getCause() != null ? " (" + e.getCause().getMessage() + ")" : ""));
            return new MeshThroughput(streams, 0, options.duration().toNanos() / 1e9, 0);
        }
        try {
            Thread.sleep(options.warmup().toMillis());
            long bytesBefore = sink.sinkBytes();
            long from = System.nanoTime();
            Thread.sleep(options.duration().toMillis());
            long bytes = sink.sinkBytes() - bytesBefore;
            double seconds = (System.nanoTime() - from) / 1e9;
            return new MeshThroughput(streams, bytes, seconds, sender.openStreams());
        } finally {
            sender.close();
        }
    }

    private static void prestart(EventLoopGroup group) throws InterruptedException {
        for (EventExecutor executor : group) {
            executor.submit(() -> {}).sync();
        }
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long remaining = nanos - System.nanoTime();
        if (remaining > 0) {
            TimeUnit.NANOSECONDS.sleep(remaining);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
