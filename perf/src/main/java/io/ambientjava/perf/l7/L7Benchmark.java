package io.ambientjava.perf.l7;

import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.perf.net.EpollGroups;
import io.ambientjava.perf.proc.JvmCommand;
import io.ambientjava.perf.proc.ProcFiles;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Node;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.testing.netns.StartedProcess;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The L7 benchmark on one network-namespace topology with every variant side by side:
 *
 * <pre>
 * node1: client (enrolled), client-plain, waypoint-0 (not captured), nginx, gateway   node2: server (enrolled),
 *                                                                                        server-plain
 * l4:       client → ztunnel@node1 ══HBONE══▶ ztunnel@node2 → server              (Service echo-l4)
 * waypoint: client → ztunnel@node1 ══HBONE══▶ waypoint ══HBONE══▶ ztunnel@node2 → server   (Service echo)
 * nginx:      client-plain ──TLS──▶ nginx ──HTTP/1.1──▶ server-plain
 * nginx-mtls: client-plain ──TLS──▶ nginx ══mutual TLS══▶ server-plain (its TLS port)
 * gateway-mtls: client-plain ──TLS──▶ gateway (waypoint.jar --ingress) ══mutual TLS══▶ server-plain (its TLS port)
 * </pre>
 *
 * istiod-lite runs on the host with a config folder; a relay in each namespace that needs it makes it reachable on
 * 127.0.0.1:15010 there. ztunnels and the waypoint get certificates from one plugged-in CA. The servers and the
 * latency probe run in this JVM with their sockets in the pods; wrk runs inside the client pods.
 */
public final class L7Benchmark {

    private static final int XDS_PORT = 15010;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration DRAIN = Duration.ofSeconds(5);
    private static final Pattern ISTIOD_READY =
            Pattern.compile("istiod-lite ready: .*plaintext 127\\.0\\.0\\.1:(\\d+)");

    private final L7Options options;
    private final PrintStream progress;

    public L7Benchmark(L7Options options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
    }

    public L7Report run() throws Exception {
        Instant started = Instant.now();
        String loadBefore = ProcFiles.system().loadAverage();
        Path dir = Files.createTempDirectory("ambient-perf-l7-");
        EventLoopGroup loadGroup = EpollGroups.create("l7-load", 1);
        EventLoopGroup serverGroup = EpollGroups.create("l7-server", 1);
        List<AutoCloseable> closing = new ArrayList<>();
        Process istiod = null;
        try (NetnsTopology net = NetnsTopology.withNodes(2)) {
            prestart(loadGroup);
            prestart(serverGroup);
            Node node1 = net.node(1);
            Node node2 = net.node(2);
            Pod client = node1.addPod("client");
            Pod waypointPod = node1.addPod("waypoint");
            Pod clientPlain = node1.addPod("client-plain");
            Pod nginxPod = node1.addPod("nginx");
            Pod gatewayPod = node1.addPod("gateway");
            Pod server = node2.addPod("server");
            Pod serverPlain = node2.addPod("server-plain");
            closing.add(HttpPodServer.start(server, serverGroup, L7MeshConfig.TARGET_PORT, options.bodyBytes()));
            closing.add(HttpPodServer.start(serverPlain, serverGroup, L7MeshConfig.TARGET_PORT, options.bodyBytes()));
            boolean anyNginx = options.variants().stream().anyMatch(L7Variant::isNginx);
            boolean gatewayVariant = options.variants().contains(L7Variant.GATEWAY_MTLS);
            Path nginxDir = dir.resolve("nginx");
            if (options.variants().stream().anyMatch(L7Variant::endsAtTlsServer)) {
                closing.add(HttpPodServer.start(
                        serverPlain,
                        serverGroup,
                        L7MeshConfig.TLS_TARGET_PORT,
                        options.bodyBytes(),
                        Optional.of(EdgePki.create(nginxDir))));
            }

            boolean mesh = options.variants().stream().anyMatch(L7Variant::needsIstiod);
            List<ProcessFigures> ztunnels = List.of();
            Optional<ProcessFigures> waypoint = Optional.empty();
            Optional<ProcessFigures> gateway = Optional.empty();
            List<String> waypointCommand = List.of();
            if (mesh) {
                Path config = Files.createDirectories(dir.resolve("config"));
                Files.writeString(
                        config.resolve("mesh.yaml"),
                        L7MeshConfig.yaml(
                                        client.ip(),
                                        node1.name(),
                                        server.ip(),
                                        node2.name(),
                                        waypointPod.ip(),
                                        node1.name())
                                + (gatewayVariant
                                        ? L7MeshConfig.gateway(nginxDir, serverPlain.ip(), node2.name())
                                        : ""));
                Path caDir = dir.resolve("cacerts");
                MeshCertificateAuthority.createSelfSigned("cluster.local").writeTo(caDir);
                progress.println("l7: istiod-lite on " + config + " ...");
                istiod = startIstiod(config, dir.resolve("istiod.log"));
                InetSocketAddress xds = new InetSocketAddress(InetAddress.getLoopbackAddress(), istiodPort(dir));
                for (var host : gatewayVariant
                        ? List.of(node1, node2, waypointPod, gatewayPod)
                        : List.of(node1, node2, waypointPod)) {
                    closing.add(XdsRelay.open(host, XDS_PORT, xds));
                }
                var redirector = new io.ambientjava.cni.redirect.NftablesRedirector(
                        io.ambientjava.cni.redirect.RedirectionConfig.DEFAULTS);
                redirector.apply(client.netnsPath());
                redirector.apply(server.netnsPath());
                progress.println("l7: ztunnels ...");
                ztunnels = List.of(startZtunnel(node1, caDir, client), startZtunnel(node2, caDir, server));
                progress.println("l7: waypoint ...");
                waypointCommand = waypointCommand(caDir, waypointPod);
                waypoint = Optional.of(startWaypoint(waypointPod, waypointCommand));
                if (gatewayVariant) {
                    progress.println("l7: ingress gateway ...");
                    gateway = Optional.of(startGateway(gatewayPod, caDir));
                }
            }
            Optional<ProcessFigures> nginx = Optional.empty();
            if (anyNginx) {
                progress.println("l7: nginx ...");
                nginx = Optional.of(startNginx(nginxPod, serverPlain, nginxDir));
            }

            List<VariantPath> paths = new ArrayList<>();
            for (L7Variant variant : options.variants()) {
                paths.add(
                        variant == L7Variant.GATEWAY_MTLS
                                ? tlsPath(
                                        variant,
                                        clientPlain,
                                        gatewayPod,
                                        L7MeshConfig.GATEWAY_PORT,
                                        List.of(gateway.orElseThrow()))
                                : pathOf(variant, client, clientPlain, nginxPod, ztunnels, waypoint, nginx));
            }
            // Every path warm (JIT, pools, tunnels) before any is measured: the first variant is not the cold one.
            for (VariantPath path : paths) {
                progress.println("l7: warming " + path.variant().label() + " ...");
                checkPath(path.from(), path.url(), path.proxies());
                WrkRun.run(path.from(), options.wrk(), path.url(), options.connections(), warmupOf(options));
            }
            List<L7Result> results = new ArrayList<>();
            for (VariantPath path : paths) {
                progress.println("l7: " + path.variant().label() + " ...");
                results.add(measure(path, loadGroup));
            }
            return new L7Report(
                    options,
                    results,
                    started,
                    Runtime.getRuntime().availableProcessors(),
                    loadBefore,
                    ProcFiles.system().loadAverage(),
                    waypointCommand);
        } finally {
            for (AutoCloseable c : closing.reversed()) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // best effort
                }
            }
            if (istiod != null) {
                istiod.destroy();
                if (!istiod.waitFor(10, TimeUnit.SECONDS)) {
                    istiod.destroyForcibly();
                }
            }
            EpollGroups.shutdown(loadGroup);
            EpollGroups.shutdown(serverGroup);
            deleteTree(dir);
        }
    }

    /** Where one variant's load comes from and goes to, and which proxies carry it. */
    private record VariantPath(
            L7Variant variant,
            Pod from,
            InetSocketAddress target,
            String host,
            String url,
            Optional<SslContext> tls,
            List<ProcessFigures> proxies) {}

    private static Duration warmupOf(L7Options options) {
        return options.warmup().compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : options.warmup();
    }

    private static VariantPath pathOf(
            L7Variant variant,
            Pod client,
            Pod clientPlain,
            Pod nginxPod,
            List<ProcessFigures> ztunnels,
            Optional<ProcessFigures> waypoint,
            Optional<ProcessFigures> nginx)
            throws javax.net.ssl.SSLException {
        return switch (variant) {
            case L4 ->
                new VariantPath(
                        variant,
                        client,
                        new InetSocketAddress(L7MeshConfig.ECHO_L4_VIP, L7MeshConfig.SERVICE_PORT),
                        L7MeshConfig.ECHO_L4_HOST,
                        "http://" + L7MeshConfig.ECHO_L4_VIP + "/",
                        Optional.empty(),
                        ztunnels);
            case WAYPOINT -> {
                List<ProcessFigures> proxies = new ArrayList<>();
                proxies.add(waypoint.orElseThrow());
                proxies.addAll(ztunnels);
                yield new VariantPath(
                        variant,
                        client,
                        new InetSocketAddress(L7MeshConfig.ECHO_VIP, L7MeshConfig.SERVICE_PORT),
                        L7MeshConfig.ECHO_HOST,
                        "http://" + L7MeshConfig.ECHO_VIP + "/",
                        Optional.empty(),
                        proxies);
            }
            case NGINX ->
                tlsPath(variant, clientPlain, nginxPod, L7MeshConfig.NGINX_PORT, List.of(nginx.orElseThrow()));
            case NGINX_MTLS ->
                tlsPath(variant, clientPlain, nginxPod, L7MeshConfig.NGINX_MTLS_PORT, List.of(nginx.orElseThrow()));
            case GATEWAY_MTLS -> throw new IllegalArgumentException("the gateway's path is made by tlsPath");
        };
    }

    /** An edge proxy's path (nginx, the gateway): the plain client over TLS 1.3 to the proxy's HTTPS port. */
    private static VariantPath tlsPath(
            L7Variant variant, Pod clientPlain, Pod proxyPod, int port, List<ProcessFigures> proxies)
            throws javax.net.ssl.SSLException {
        return new VariantPath(
                variant,
                clientPlain,
                new InetSocketAddress(proxyPod.ip(), port),
                "echo",
                "https://" + proxyPod.ip().getHostAddress() + ":" + port + "/",
                Optional.of(SslContextBuilder.forClient()
                        .trustManager(InsecureTrustManagerFactory.INSTANCE)
                        .protocols("TLSv1.3")
                        .build()),
                proxies);
    }

    private L7Result measure(VariantPath path, EventLoopGroup loadGroup) throws Exception {
        L7Variant variant = path.variant();
        Pod from = path.from();
        String url = path.url();
        List<ProcessFigures> proxies = path.proxies();
        HttpOpenLoopProbe.Run run = HttpOpenLoopProbe.start(
                from,
                loadGroup.next(),
                path.target(),
                path.host(),
                path.tls(),
                options.connections(),
                options.rate(),
                options.warmup(),
                options.duration(),
                DRAIN);
        sleepUntil(run.measureFromNanos());
        double[] before = cpu(proxies);
        long t0 = System.nanoTime();
        sleepUntil(run.measureUntilNanos());
        double[] after = cpu(proxies);
        double window = (System.nanoTime() - t0) / 1e9;
        long[] rss = new long[proxies.size()];
        for (int i = 0; i < proxies.size(); i++) {
            rss[i] = proxies.get(i).memory().residentBytes();
        }
        HttpOpenLoopProbe.Result latency =
                run.result().get(DRAIN.plusSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
        double[] latencyCpu = minus(after, before);

        double[] maxBefore = cpu(proxies);
        long m0 = System.nanoTime();
        WrkRun max = WrkRun.run(from, options.wrk(), url, options.connections(), options.maxDuration());
        double maxWindow = (System.nanoTime() - m0) / 1e9;
        double[] maxCpu = minus(cpu(proxies), maxBefore);
        long[] peak = new long[proxies.size()];
        for (int i = 0; i < proxies.size(); i++) {
            peak[i] = proxies.get(i).memory().peakResidentBytes();
        }
        return new L7Result(
                variant,
                proxies.stream().map(ProcessFigures::name).toList(),
                latency,
                latencyCpu,
                window,
                max,
                maxCpu,
                maxWindow,
                rss,
                peak);
    }

    /** One request through the path first, so that a broken path fails with the proxies' logs, not as figures. */
    private static void checkPath(Pod from, String url, List<ProcessFigures> proxies) {
        NetnsCommand.Output out = NetnsCommand.run(
                from.netnsName(), Duration.ofSeconds(20), "curl", "-sS", "-k", "-m", "10", "-w", "\n%{http_code}", url);
        if (out.exitCode() == 0 && out.output().strip().endsWith("\n200")) {
            return;
        }
        StringBuilder logs = new StringBuilder();
        for (ProcessFigures p : proxies) {
            String log = p.started().log();
            logs.append("\n--- ")
                    .append(p.name())
                    .append(" (last 4000 chars) ---\n")
                    .append(log.substring(Math.max(0, log.length() - 4000)));
        }
        throw new IllegalStateException("curl " + url + " from " + from.name() + " answered '"
                + out.output().strip() + "' (exit " + out.exitCode() + "), not 200" + logs);
    }

    private Process startIstiod(Path config, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                javaBinary(),
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-jar",
                options.istiodJar().toAbsolutePath().toString(),
                "--config-dir",
                config.toString(),
                "--xds-port",
                "0",
                "--tls-port",
                "-1",
                "--webhook-port",
                "-1",
                "--monitoring-port",
                "-1",
                "--debounce-ms",
                "20"));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    private static int istiodPort(Path dir) throws Exception {
        Path log = dir.resolve("istiod.log");
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher ready = ISTIOD_READY.matcher(Files.readString(log));
            if (ready.find()) {
                return Integer.parseInt(ready.group(1));
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(
                "istiod-lite printed no ready line within " + READY_TIMEOUT + ":\n" + Files.readString(log));
    }

    private ProcessFigures startZtunnel(Node node, Path caDir, Pod pod) throws InterruptedException {
        List<String> command = new ArrayList<>(JvmCommand.start(javaBinary(), options.ztunnelJvmOptions()));
        command.addAll(List.of(
                "-jar",
                options.ztunnelJar().toAbsolutePath().toString(),
                "--node=" + node.name(),
                "--xds-address=127.0.0.1:" + XDS_PORT,
                "--ca-dir=" + caDir,
                "--admin-port=0",
                "--metrics-port=0",
                "--readiness-port=0",
                "--stats-address=127.0.0.1",
                "--drain-timeout=1s",
                "--pod=Kubernetes//Pod/default/" + pod.name() + "=" + pod.netnsPath()));
        StartedProcess started = node.start(command.toArray(String[]::new));
        awaitLine(started, "ztunnel ready ", "ztunnel@" + node.name());
        return new ProcessFigures("ztunnel@" + node.name(), started);
    }

    private List<String> waypointCommand(Path caDir, Pod pod) {
        List<String> command = new ArrayList<>(JvmCommand.start(javaBinary(), options.waypointJvmOptions()));
        command.addAll(List.of(
                "-jar",
                options.waypointJar().toAbsolutePath().toString(),
                "--xds-address",
                "127.0.0.1:" + XDS_PORT,
                "--ca-dir",
                caDir.toString(),
                "--namespace",
                "default",
                "--gateway",
                "waypoint",
                "--service-account",
                "waypoint",
                "--pod-name",
                "waypoint-0",
                "--pod-ip",
                pod.ip().getHostAddress(),
                "--worker-threads",
                Integer.toString(options.waypointThreads())));
        return command;
    }

    /**
     * waypoint.jar as the ingress gateway {@code edge/edge} ({@code --ingress}), with the waypoint's JVM options and
     * threads; ready once its HTTPS port accepts connections.
     */
    private ProcessFigures startGateway(Pod pod, Path caDir) throws Exception {
        List<String> command = new ArrayList<>(JvmCommand.start(javaBinary(), options.waypointJvmOptions()));
        command.addAll(List.of(
                "-jar",
                options.waypointJar().toAbsolutePath().toString(),
                "--ingress",
                "--xds-address",
                "127.0.0.1:" + XDS_PORT,
                "--ca-dir",
                caDir.toString(),
                "--namespace",
                L7MeshConfig.GATEWAY_NAMESPACE,
                "--gateway",
                L7MeshConfig.GATEWAY_NAMESPACE + "/" + L7MeshConfig.GATEWAY_NAME,
                "--service-account",
                "edge-gateway",
                "--pod-name",
                "edge-0",
                "--pod-ip",
                pod.ip().getHostAddress(),
                "--worker-threads",
                Integer.toString(options.waypointThreads())));
        StartedProcess started = pod.start(command.toArray(String[]::new));
        awaitListening(pod, L7MeshConfig.GATEWAY_PORT, started, "the gateway", () -> "");
        return new ProcessFigures("gateway", started);
    }

    /** Waits until {@code pod} accepts connections on {@code port}; fails with the process's log (and {@code more}). */
    private static void awaitListening(
            Pod pod, int port, StartedProcess started, String name, java.util.concurrent.Callable<String> more)
            throws Exception {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            try (Socket s = pod.connect(new InetSocketAddress(pod.ip(), port))) {
                return;
            } catch (Exception notYet) {
                if (System.nanoTime() > deadline || !started.process().isAlive()) {
                    throw new IllegalStateException(name + " did not listen on " + port + " within " + READY_TIMEOUT
                            + ":\n" + started.log() + more.call());
                }
                Thread.sleep(100);
            }
        }
    }

    private ProcessFigures startWaypoint(Pod pod, List<String> command) throws Exception {
        StartedProcess started = pod.start(command.toArray(String[]::new));
        awaitLine(started, " up: HBONE", "waypoint");
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!ready(pod)) {
            if (System.nanoTime() > deadline || !started.process().isAlive()) {
                throw new IllegalStateException(
                        "the waypoint got no config within " + READY_TIMEOUT + ":\n" + started.log());
            }
            Thread.sleep(200);
        }
        return new ProcessFigures("waypoint", started);
    }

    /** The waypoint's readiness (15021) is 200 once its first config is applied. */
    private static boolean ready(Pod pod) {
        try (Socket s = pod.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 15021))) {
            s.setSoTimeout(2000);
            s.getOutputStream()
                    .write("GET /healthz/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            return new String(in.readNBytes(12), StandardCharsets.US_ASCII).endsWith("200");
        } catch (Exception e) {
            return false;
        }
    }

    /** Starts nginx in {@code pod} with its certificates already in {@code dir} ({@link EdgePki#create}). */
    private ProcessFigures startNginx(Pod pod, Pod server, Path dir) throws Exception {
        Files.createDirectories(dir.resolve("tmp"));
        Path conf = Files.writeString(dir.resolve("nginx.conf"), L7MeshConfig.nginx(dir, server.ip()));
        StartedProcess started = pod.start(options.nginx(), "-p", dir.toString(), "-c", conf.toString());
        awaitListening(
                pod, L7MeshConfig.NGINX_MTLS_PORT, started, "nginx", () -> readIfExists(dir.resolve("error.log")));
        return new ProcessFigures("nginx", started);
    }

    private static String readIfExists(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "";
    }

    private static void awaitLine(StartedProcess process, String marker, String name) throws InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (process.log().contains(marker)) {
                return;
            }
            if (!process.process().isAlive()) {
                throw new IllegalStateException(
                        name + " exited with " + process.process().exitValue() + ":\n" + process.log());
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(
                name + " did not print '" + marker + "' within " + READY_TIMEOUT + ":\n" + process.log());
    }

    /** Options shaped NAME=value are environment variables, set through env (which execs java: same pid). */
    private static double[] cpu(List<ProcessFigures> proxies) {
        return proxies.stream().mapToDouble(ProcessFigures::cpuSeconds).toArray();
    }

    private static double[] minus(double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] - b[i];
        }
        return out;
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void prestart(EventLoopGroup group) throws InterruptedException {
        for (var executor : group) {
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
