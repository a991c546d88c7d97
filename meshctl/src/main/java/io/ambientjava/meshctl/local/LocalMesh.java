package io.ambientjava.meshctl.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The whole mesh on this machine: istiod-lite over a YAML folder, simulated nodes (each a netns with a pod bridge,
 * the node agent with nftables redirection and a ztunnel taking pods over ZDS), pods made through the CNI chain with
 * our plugin last, and the demo app in each pod. Everything made is registered with a {@link Teardown}; {@link
 * #close()} undoes it all (processes, namespaces, the temporary folder).
 */
public final class LocalMesh implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final List<String> SMALL_JVM =
            List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k", "-XX:+UseCompactObjectHeaders");

    private final String prefix;
    private final Path dir;
    private final DemoJars jars;
    private final Consumer<String> progress;
    private final Teardown teardown = new Teardown();
    private final MeshConfigFolder config;
    private final Map<String, SimulatedNode> nodes = new LinkedHashMap<>();
    private final Map<String, Integer> metricsPorts = new ConcurrentHashMap<>();
    private final Map<String, ChildProcess> ztunnels = new ConcurrentHashMap<>();
    private final List<ChildProcess> children = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<DemoPod, String> podIps = new ConcurrentHashMap<>();
    private final Map<DemoPod, Path> podNetns = new ConcurrentHashMap<>();
    private int xdsPort;

    private LocalMesh(String prefix, Path dir, DemoJars jars, Consumer<String> progress) {
        this.prefix = prefix;
        this.dir = dir;
        this.jars = jars;
        this.progress = progress;
        this.config = new MeshConfigFolder(dir.resolve("config"));
    }

    /** A mesh named {@code aj-demo-<random>}; nothing is made until {@link #start}. */
    public static LocalMesh create(DemoJars jars, Consumer<String> progress) throws IOException {
        byte[] random = new byte[3];
        new SecureRandom().nextBytes(random);
        String prefix = "aj-demo-" + HexFormat.of().formatHex(random);
        Path dir = Files.createTempDirectory(prefix + "-");
        LocalMesh mesh = new LocalMesh(prefix, dir, jars, progress);
        mesh.teardown.add("temporary folder " + dir, () -> deleteTree(dir));
        StaleMeshes.claim(dir);
        Files.createDirectories(mesh.config.dir());
        return mesh;
    }

    public String name() {
        return prefix;
    }

    public Path dir() {
        return dir;
    }

    public MeshConfigFolder config() {
        return config;
    }

    /** Brings up control plane, nodes and pods; returns once every pod is enrolled and its app listens. */
    public void start(List<String> nodeNames, List<DemoService> services, List<DemoPod> pods) throws Exception {
        config.writeBase(services);
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String node : nodeNames) {
            tokens.put(node, HexFormat.of().formatHex(randomBytes()));
        }
        Path tokenFile = dir.resolve("ca-tokens.yaml");
        Files.writeString(tokenFile, MeshConfigFolder.tokens(tokens));
        startIstiod(tokenFile);

        int index = 1;
        for (String name : nodeNames) {
            nodes.put(name, SimulatedNode.create(prefix, name, index++, dir, teardown));
        }
        List<SimulatedNode> all = List.copyOf(nodes.values());
        for (int i = 0; i + 1 < all.size(); i++) {
            SimulatedNode.connect(all.get(i), all.get(i + 1));
        }
        progress.accept("nodes " + String.join(", ", nodeNames) + ": network namespaces, pod bridges "
                + String.join(
                        " and ", all.stream().map(SimulatedNode::podSubnet).toList()) + ", routed to each other");

        try (ExecutorService parallel = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> started = new ArrayList<>();
            for (SimulatedNode node : all) {
                started.add(parallel.submit(() -> {
                    startNode(node, tokens.get(node.name()));
                    return null;
                }));
            }
            for (Future<?> future : started) {
                future.get();
            }
        }

        try (ExecutorService parallel = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> added = new ArrayList<>();
            for (DemoPod pod : pods) {
                added.add(parallel.submit(() -> {
                    addPod(pod);
                    return null;
                }));
            }
            for (Future<?> future : added) {
                future.get();
            }
        }
        Map<DemoPod, String> byName = new LinkedHashMap<>();
        podIps.entrySet().stream()
                .sorted(Map.Entry.comparingByKey(Comparator.comparing(DemoPod::name)))
                .forEach(e -> byName.put(e.getKey(), e.getValue()));
        config.writePods(byName);
    }

    private void startIstiod(Path tokenFile) throws Exception {
        xdsPort = freePort();
        List<String> argv = new ArrayList<>(List.of(DemoJars.java(), "-Xmx192m"));
        argv.addAll(SMALL_JVM);
        argv.addAll(List.of(
                "-jar",
                jars.istiod().toString(),
                "--config-dir",
                config.dir().toString(),
                "--xds-port",
                Integer.toString(xdsPort),
                "--tls-port",
                "-1",
                "--webhook-port",
                "-1",
                "--monitoring-port",
                "-1",
                "--token-file",
                tokenFile.toString(),
                "--poll-ms",
                "300",
                "--debounce-ms",
                "50"));
        ChildProcess istiod = launch("istiod-lite", argv);
        istiod.awaitLine("istiod-lite ready", READY_TIMEOUT);
        progress.accept("istiod-lite ready: config folder " + config.dir() + ", xDS and CA on 127.0.0.1:" + xdsPort);
    }

    private void startNode(SimulatedNode node, String token) throws Exception {
        List<String> install = List.of(
                DemoJars.java(),
                "-jar",
                jars.nodeAgent().toString(),
                "install",
                "--cni-bin-dir",
                node.binDir().toString(),
                "--cni-net-dir",
                node.netDir().toString(),
                "--plugin-socket",
                node.pluginSocket().toString(),
                "--no-aot-cache");
        HostCommand.inNetns(node.netns(), install.toArray(String[]::new)).check();

        List<String> agent = new ArrayList<>(List.of("nsenter", "--net=" + node.netns(), "--", DemoJars.java()));
        agent.addAll(List.of("-Xmx96m", "--enable-native-access=ALL-UNNAMED"));
        agent.addAll(SMALL_JVM);
        agent.addAll(List.of(
                "-jar",
                jars.nodeAgent().toString(),
                "--zds-socket",
                node.zdsSocket().toString(),
                "--plugin-socket",
                node.pluginSocket().toString(),
                "--pod-state-dir",
                config.dir().toString(),
                "--state-file",
                node.dir().resolve("known-pods.json").toString(),
                "--redirect",
                "nftables"));
        launch("node agent " + node.name(), agent).awaitLine("node agent ready", READY_TIMEOUT);

        Path tokenFile = node.dir().resolve("ztunnel-token");
        Files.writeString(tokenFile, token);
        int metricsPort = freePort();
        metricsPorts.put(node.name(), metricsPort);
        List<String> ztunnel =
                new ArrayList<>(List.of(DemoJars.java(), "-Xmx128m", "--enable-native-access=ALL-UNNAMED"));
        ztunnel.addAll(SMALL_JVM);
        ztunnel.addAll(List.of(
                "-jar",
                jars.ztunnel().toString(),
                "--node",
                node.name(),
                "--xds-address",
                "127.0.0.1:" + xdsPort,
                "--ca-address",
                "127.0.0.1:" + xdsPort,
                "--token-file",
                tokenFile.toString(),
                "--zds-socket",
                node.zdsSocket().toString(),
                "--admin-port",
                Integer.toString(freePort()),
                "--metrics-port",
                Integer.toString(metricsPort),
                "--readiness-port",
                Integer.toString(freePort()),
                "--stats-address",
                "127.0.0.1",
                "--drain-timeout",
                "1s",
                "--worker-threads",
                "1"));
        ChildProcess ztunnelProcess = launch("ztunnel " + node.name(), ztunnel);
        ztunnels.put(node.name(), ztunnelProcess);
        ztunnelProcess.awaitLine("ztunnel ready", READY_TIMEOUT);
        progress.accept(node.name() + ": CNI plugin chained after bridge + host-local, node agent (nftables) and"
                + " ztunnel ready (metrics 127.0.0.1:" + metricsPort + ")");
    }

    private void addPod(DemoPod pod) throws Exception {
        SimulatedNode node = nodes.get(pod.node());
        String netnsName = prefix + "-" + pod.name();
        HostCommand.of("ip", "netns", "add", netnsName).check();
        Path netns = Path.of("/var/run/netns", netnsName);
        teardown.add(
                "netns " + netnsName,
                () -> HostCommand.of("ip", "netns", "del", netnsName).check());
        podNetns.put(pod, netns);
        String containerId = "ctr-" + HexFormat.of().formatHex(randomBytes());
        String ip = node.cniChain()
                .add(new CniChain.PodSandbox(containerId, pod.namespace(), pod.name(), pod.uid(), netns));
        podIps.put(pod, ip);
        if (pod.servesApp()) {
            List<String> app = new ArrayList<>(List.of("nsenter", "--net=" + netns, "--", DemoJars.java()));
            app.addAll(List.of("-Xmx24m", "-Xshare:auto"));
            app.addAll(SMALL_JVM);
            app.addAll(List.of(
                    "-cp",
                    jars.meshctlClasses().toString(),
                    DemoApp.class.getName(),
                    "--name",
                    pod.service(),
                    "--version",
                    pod.version(),
                    "--port",
                    Integer.toString(DemoService.TARGET_PORT)));
            launch("app " + pod.name(), app).awaitLine("demo app ready", READY_TIMEOUT);
        }
        progress.accept("pod " + pod.namespace() + "/" + pod.name() + " on " + pod.node() + ": " + ip
                + (pod.namespace().equals(MeshConfigFolder.NAMESPACE) ? " (ambient)" : " (outside the mesh)"));
    }

    private ChildProcess launch(String name, List<String> argv) {
        Path log = dir.resolve("logs").resolve(name.replace(' ', '-') + ".log");
        try {
            Files.createDirectories(log.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChildProcess process = ChildProcess.start(name, argv, log);
        children.add(process);
        teardown.add(name + " (pid " + process.pid() + ")", process::close);
        return process;
    }

    public String ipOf(DemoPod pod) {
        return podIps.get(pod);
    }

    /** Runs a program inside a pod's network namespace, as if from inside its container. */
    public HostCommand.Result execIn(DemoPod pod, String... argv) {
        return HostCommand.inNetns(podNetns.get(pod), argv).run();
    }

    /** Every ztunnel's access log lines so far ({@code connection complete ...}), by node. */
    public Map<String, List<String>> accessLog() {
        Map<String, List<String>> lines = new LinkedHashMap<>();
        for (String node : nodes.keySet()) {
            ChildProcess ztunnel = ztunnels.get(node);
            lines.put(
                    node,
                    ztunnel == null
                            ? List.of()
                            : ztunnel.log()
                                    .lines()
                                    .filter(l -> l.contains("connection complete"))
                                    .toList());
        }
        return lines;
    }

    /** The last warnings and errors each component logged, for a failure message (the logs go with teardown). */
    public List<String> recentProblems() {
        List<String> problems = new ArrayList<>();
        for (ChildProcess child : children) {
            List<String> lines = child.log()
                    .lines()
                    .filter(l -> l.contains(" WARN ") || l.contains(" ERROR ") || l.contains("Exception"))
                    .toList();
            lines.subList(Math.max(0, lines.size() - 3), lines.size())
                    .forEach(l -> problems.add(child.name() + ": " + l));
        }
        return problems;
    }

    /** Prometheus text of every node's ztunnel. */
    public Map<String, String> ztunnelMetrics() throws IOException, InterruptedException {
        Map<String, String> texts = new LinkedHashMap<>();
        try (HttpClient client = HttpClient.newHttpClient()) {
            for (var entry : metricsPorts.entrySet()) {
                HttpRequest request = HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + entry.getValue() + "/stats/prometheus"))
                        .timeout(Duration.ofSeconds(5))
                        .build();
                texts.put(
                        entry.getKey(),
                        client.send(request, HttpResponse.BodyHandlers.ofString())
                                .body());
            }
        }
        return texts;
    }

    /** Undoes everything; returns what could not be undone (empty when all is gone). */
    @Override
    public void close() {
        children.forEach(ChildProcess::signalStop);
        List<String> failures = teardown.runAll();
        if (!failures.isEmpty()) {
            progress.accept("teardown left problems: " + String.join("; ", failures));
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
