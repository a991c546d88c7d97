package io.ambientjava.meshctl.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
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
    private final Map<String, Integer> adminPorts = new ConcurrentHashMap<>();
    private final Map<String, Integer> readinessPorts = new ConcurrentHashMap<>();
    private final Map<String, ChildProcess> nodeAgents = new ConcurrentHashMap<>();
    private ChildProcess istiod;
    private final Map<String, ChildProcess> ztunnels = new ConcurrentHashMap<>();
    private final List<ChildProcess> children = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<DemoPod, String> podIps = new ConcurrentHashMap<>();
    private final Map<DemoPod, Path> podNetns = new ConcurrentHashMap<>();
    private final List<MeshProxy> proxies = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<String, String> nodeTokens = new LinkedHashMap<>();
    private final List<String> proxyTokens = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger nextProxyVip =
            new java.util.concurrent.atomic.AtomicInteger(1);
    private int xdsPort;
    private int istiodMonitoringPort;
    private final Map<MeshProxy, ProxyParts> proxyParts = new ConcurrentHashMap<>();
    private volatile Path prometheusDir;
    private Path tokenFile;
    private UnixToTcpBridge xdsBridge;
    private final List<String> dnsUpstreams = new ArrayList<>();
    private boolean dnsCapture;
    private String serviceEntryAddressRange;

    private LocalMesh(String prefix, Path dir, DemoJars jars, Consumer<String> progress) {
        this.prefix = prefix;
        this.dir = dir;
        this.jars = jars;
        this.progress = progress;
        this.config = new MeshConfigFolder(dir.resolve("config"));
    }

    /** A mesh named {@code aj-demo-<random>}; nothing is made until {@link #start}. */
    public static LocalMesh create(DemoJars jars, Consumer<String> progress) throws IOException {
        return create(StaleMeshes.DEMO, jars, progress);
    }

    /**
     * A mesh named {@code aj-<kind>-<random>} ({@link StaleMeshes#DEMO} or {@link StaleMeshes#LOCAL}), its folder
     * owned by this process; nothing is made until {@link #start} or {@link #startNodes}.
     */
    public static LocalMesh create(String kind, DemoJars jars, Consumer<String> progress) throws IOException {
        byte[] random = new byte[3];
        new SecureRandom().nextBytes(random);
        String prefix = "aj-" + kind + "-" + HexFormat.of().formatHex(random);
        Path dir = Files.createTempDirectory(prefix + "-");
        LocalMesh mesh = new LocalMesh(prefix, dir, jars.copiedTo(dir.resolve("jars")), progress);
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

    /**
     * The resolver the ztunnels and proxies started from now on ask for endpoints known only by name (DNS
     * ServiceEntries), instead of the host's {@code /etc/resolv.conf}. A proxy runs in its pod's namespace: give it a
     * resolver there too (at the same address).
     */
    public void useDnsUpstream(InetSocketAddress resolver) {
        dnsUpstreams.add(resolver.getAddress().getHostAddress() + ":" + resolver.getPort());
    }

    /**
     * Pods' DNS (UDP and TCP 53) goes to ztunnel's DNS proxy in the pod, as with Istio's {@code ISTIO_META_DNS_CAPTURE}:
     * mesh names (Services, ServiceEntry hosts) are answered with their VIPs, others forwarded to the ztunnels'
     * upstreams. For nodes started from now on.
     */
    public void captureDns() {
        dnsCapture = true;
    }

    /** istiod-lite's {@code --service-entry-address-range} (Istio's 240.240.0.0/16 when not set). Before start. */
    public void useServiceEntryAddressRange(String cidr) {
        serviceEntryAddressRange = cidr;
    }

    /** Brings up control plane, nodes and pods; returns once every pod is enrolled and its app listens. */
    public void start(List<String> nodeNames, List<DemoService> services, List<DemoPod> pods) throws Exception {
        config.writeBase(services);
        startNodes(nodeNames);
        addPods(pods);
    }

    /** Brings up istiod-lite on the config folder as it is and the nodes with node agent and ztunnel, no pods. */
    public void startNodes(List<String> nodeNames) throws Exception {
        Map<String, String> tokens = nodeTokens;
        for (String node : nodeNames) {
            tokens.put(node, HexFormat.of().formatHex(randomBytes()));
        }
        tokenFile = dir.resolve("ca-tokens.yaml");
        writeTokens();
        startIstiod(tokenFile);
        xdsBridge = UnixToTcpBridge.open(dir.resolve("istiod.sock"), xdsPort);
        UnixToTcpBridge bridge = xdsBridge;
        teardown.add("istiod-lite bridge " + bridge.socket(), bridge::close);

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
    }

    /** Adds pods to a running mesh (CNI chain, app) and lists them in the config folder with their addresses. */
    public void addPods(List<DemoPod> pods) throws Exception {
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

    /**
     * A waypoint for {@code namespace}: the Gateway {@code meshctl waypoint generate} writes (class
     * {@code istio-waypoint}), the Service Istio's gateway controller would make for it, and its pod on {@code node}
     * (labelled {@code istio.io/dataplane-mode=none} like Istio's waypoint pods, so ztunnel leaves it alone) running
     * waypoint.jar as {@code spiffe://cluster.local/ns/<namespace>/sa/<name>}. Returns once it has its config. Bind
     * services to it with {@code istio.io/use-waypoint} ({@link MeshConfigFolder#labelNamespace}).
     */
    public MeshProxy addWaypoint(String namespace, String name, String node) throws Exception {
        return addWaypoint(namespace, name, node, io.ambientjava.meshctl.waypoint.TrafficType.SERVICE);
    }

    /**
     * A waypoint for {@code traffic} ({@code istio.io/waypoint-for}): {@code WORKLOAD} or {@code ALL} also takes
     * what clients send to the addresses of the pods bound to it ({@link MeshConfigFolder#labelPod}).
     */
    public MeshProxy addWaypoint(
            String namespace, String name, String node, io.ambientjava.meshctl.waypoint.TrafficType traffic)
            throws Exception {
        String vip = "198.19.250." + nextProxyVip.getAndIncrement();
        String gateway =
                io.ambientjava.meshctl.output.YamlOutput.yaml(io.ambientjava.meshctl.waypoint.WaypointGateway.of(
                        namespace, name, traffic, java.util.Optional.empty()));
        String service = """
                apiVersion: v1
                kind: Service
                metadata:
                  name: %s
                  namespace: %s
                  labels: {gateway.istio.io/managed: istio.io-mesh-controller, gateway.networking.k8s.io/gateway-name: %s}
                spec:
                  clusterIP: %s
                  selector: {gateway.networking.k8s.io/gateway-name: %s}
                  ports:
                  - {name: mesh, port: 15008, targetPort: 15008, appProtocol: all}
                """.formatted(name, namespace, name, vip, name);
        String labels = "{gateway.networking.k8s.io/gateway-name: " + name
                + ", gateway.istio.io/managed: istio.io-mesh-controller, istio.io/dataplane-mode: none}";
        List<String> argv = List.of("--namespace", namespace, "--gateway", name, "--service-account", name);
        return startProxy(
                MeshProxy.Kind.WAYPOINT,
                namespace,
                name,
                name + "-0",
                name,
                labels,
                node,
                argv,
                pod -> stripDocumentStart(gateway) + "---\n" + service + "---\n" + pod);
    }

    /**
     * An ingress gateway pod in {@code istio-system} (labels {@code istio: ingressgateway}, outside the mesh like
     * Istio's), running waypoint.jar with {@code --ingress} as the Istio Gateway {@code gatewayNamespace/gatewayName}:
     * it opens the Gateway's ports (80 for seed 03) on its pod address.
     */
    public MeshProxy addIngressGateway(String gatewayNamespace, String gatewayName, String node) throws Exception {
        String labels = "{istio: ingressgateway, app: istio-ingressgateway, istio.io/dataplane-mode: none}";
        List<String> argv = List.of(
                "--ingress",
                "--namespace",
                "istio-system",
                "--gateway",
                gatewayNamespace + "/" + gatewayName,
                "--service-account",
                "istio-ingressgateway");
        return startProxy(
                MeshProxy.Kind.INGRESS,
                "istio-system",
                gatewayName,
                "istio-ingressgateway-0",
                "istio-ingressgateway",
                labels,
                node,
                argv,
                pod -> pod);
    }

    private MeshProxy startProxy(
            MeshProxy.Kind kind,
            String namespace,
            String gateway,
            String podName,
            String serviceAccount,
            String podLabels,
            String nodeName,
            List<String> proxyArgs,
            java.util.function.Function<String, String> fileWithPod)
            throws Exception {
        if (!nodes.containsKey(nodeName)) {
            throw new IllegalArgumentException("no node " + nodeName + " in this mesh (nodes: " + nodes.keySet() + ")");
        }
        // Named like a pod's network namespace (a dot cannot occur in either name), so that waypoints of the same
        // name in two namespaces get files, logs and namespaces of their own.
        String qualified = namespace + "." + podName;
        String what = kind.name().toLowerCase(java.util.Locale.ROOT) + " " + qualified;
        ProxyParts parts = new ProxyParts(what);
        MeshProxy proxy = null;
        try {
            String file = "35-" + kind.name().toLowerCase(java.util.Locale.ROOT) + "-" + qualified + ".yaml";
            // The pod is listed (without an address) before its CNI ADD, so the node agent already sees
            // istio.io/dataplane-mode=none and never redirects it.
            parts.file = file;
            config.apply(
                    file, fileWithPod.apply(proxyPod(podName, namespace, podLabels, serviceAccount, nodeName, null)));
            Thread.sleep(1300);
            String token = HexFormat.of().formatHex(randomBytes());
            String tokenEntry = """
                    - token: %s
                      namespace: %s
                      serviceAccount: %s
                    """.formatted(token, namespace, serviceAccount);
            parts.tokenEntry = tokenEntry;
            proxyTokens.add(tokenEntry);
            writeTokens();
            Path podTokenFile = dir.resolve(qualified + "-token");
            parts.tokenFile = podTokenFile;
            Files.writeString(podTokenFile, token);

            PodNetwork network =
                    addPodNetwork(nodeName, namespace, podName, "Kubernetes//Pod/" + namespace + "/" + podName);
            parts.network = network;
            Path netns = network.netns();
            String ip = network.ip();
            config.apply(
                    file, fileWithPod.apply(proxyPod(podName, namespace, podLabels, serviceAccount, nodeName, ip)));

            List<String> relay = new ArrayList<>(List.of("nsenter", "--net=" + netns, "--", DemoJars.java()));
            relay.addAll(List.of("-Xmx16m", "-Xshare:auto"));
            relay.addAll(SMALL_JVM);
            relay.addAll(List.of(
                    "-cp",
                    jars.meshctlClasses().toString(),
                    TcpToUnixRelay.class.getName(),
                    "15010",
                    xdsBridge.socket().toString()));
            parts.launch("istiod relay " + qualified, relay).awaitLine("relay ready", READY_TIMEOUT);

            List<String> argv = new ArrayList<>(List.of("nsenter", "--net=" + netns, "--", DemoJars.java()));
            argv.addAll(List.of("-Xmx256m", "--enable-native-access=ALL-UNNAMED"));
            argv.addAll(SMALL_JVM);
            argv.addAll(List.of(
                    "-jar",
                    jars.waypoint().toString(),
                    "--xds-address",
                    "127.0.0.1:15010",
                    "--token-file",
                    podTokenFile.toString(),
                    "--pod-name",
                    podName,
                    "--pod-ip",
                    ip,
                    "--worker-threads",
                    "1"));
            if (!dnsUpstreams.isEmpty()) {
                argv.add("--dns-upstream=" + String.join(",", dnsUpstreams));
            }
            argv.addAll(proxyArgs);
            ChildProcess process = parts.launch(what, argv);
            process.awaitLine(" up: HBONE", READY_TIMEOUT);
            awaitReady(netns, podName);
            proxy = new MeshProxy(kind, namespace, gateway, podName, serviceAccount, ip, netns, process);
            proxyParts.put(proxy, parts);
            proxies.add(proxy);
            if (prometheusDir != null) {
                writeScrapeTargets();
            }
            progress.accept((kind == MeshProxy.Kind.WAYPOINT ? "waypoint " : "ingress gateway ") + namespace + "/"
                    + gateway + " on " + nodeName + ": pod " + podName + " " + ip + " (not captured), "
                    + proxy.principal());
            return proxy;
        } catch (Exception | Error e) {
            // Nothing of a proxy that did not start stays: a second try with the same name starts from scratch.
            if (proxy != null) {
                proxies.remove(proxy);
                proxyParts.remove(proxy);
            }
            try {
                dismantle(parts);
            } catch (Exception | Error cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * Stops a waypoint or ingress gateway and removes all it had, as deleting its Gateway does in a cluster: its
     * processes (the proxy and its istiod relay), CNI DEL through its node's chain and its network namespace, its
     * config file (Gateway, Service, Pod), its CA token. Every step is tried; the first failure is thrown.
     */
    public void removeProxy(MeshProxy proxy) throws Exception {
        ProxyParts parts = proxyParts.remove(proxy);
        if (parts == null) {
            throw new IllegalArgumentException(proxy.podName() + " is not a proxy of this mesh (any more)");
        }
        proxies.remove(proxy);
        dismantle(parts);
        progress.accept(parts.what + " removed");
    }

    /** What {@link #startProxy} made for one proxy, filled in as it goes, so exactly that can be undone. */
    private final class ProxyParts {
        final String what;
        final List<AutoCloseable> processes = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile String file;
        volatile String tokenEntry;
        volatile Path tokenFile;
        volatile PodNetwork network;
        /** Its 15020 on the host's loopback (Prometheus), once forwarded. */
        volatile Integer metricsPort;

        ProxyParts(String what) {
            this.what = what;
        }

        ChildProcess launch(String name, List<String> argv) {
            ChildProcess process = LocalMesh.this.launch(name, argv);
            processes.add(process);
            return process;
        }
    }

    /**
     * Undoes {@code parts} in the order {@link LocalPods} deletes a pod: processes, CNI DEL and netns, then its
     * config file and token. Each step runs even when an earlier one failed; the first failure is thrown. The same
     * steps registered with the teardown at start (process close, netns removal) do nothing once done here.
     */
    private void dismantle(ProxyParts parts) throws Exception {
        List<Teardown.Step> steps = new ArrayList<>();
        for (AutoCloseable process : parts.processes.reversed()) {
            steps.add(() -> {
                process.close();
                if (process instanceof ChildProcess child) {
                    children.remove(child);
                }
            });
        }
        if (parts.network != null) {
            steps.add(() -> removePodNetwork(parts.network));
        }
        if (parts.file != null) {
            steps.add(() -> config.remove(parts.file));
        }
        if (parts.tokenEntry != null) {
            steps.add(() -> {
                proxyTokens.remove(parts.tokenEntry);
                writeTokens();
            });
        }
        if (parts.tokenFile != null) {
            steps.add(() -> Files.deleteIfExists(parts.tokenFile));
        }
        if (prometheusDir != null) {
            steps.add(this::writeScrapeTargets);
        }
        Exception first = null;
        for (Teardown.Step step : steps) {
            try {
                step.run();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Readiness (15021) turns on once the first config from istiod-lite is applied. */
    private static void awaitReady(Path netns, String podName) throws InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            HostCommand.Result ready = HostCommand.inNetns(
                            netns, "curl", "-sf", "-m", "2", "http://127.0.0.1:15021/healthz/ready")
                    .run();
            if (ready.ok()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(podName + " got no config from istiod-lite within " + READY_TIMEOUT);
            }
            Thread.sleep(200);
        }
    }

    private static String proxyPod(
            String name, String namespace, String labels, String serviceAccount, String node, String ip) {
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: %s
                  labels: %s
                spec:
                  serviceAccountName: %s
                  nodeName: %s
                  containers:
                  - {name: istio-proxy, image: waypoint, ports: [{name: hbone, containerPort: 15008}]}
                """.formatted(name, namespace, labels, serviceAccount, node)
                + (ip == null ? "status: {phase: Pending}\n" : "status: {phase: Running, podIP: " + ip + "}\n");
    }

    private static String stripDocumentStart(String yaml) {
        return yaml.startsWith("---\n") ? yaml.substring(4) : yaml;
    }

    private synchronized void writeTokens() throws IOException {
        StringBuilder yaml = new StringBuilder(MeshConfigFolder.tokens(nodeTokens));
        proxyTokens.forEach(yaml::append);
        Path temp = dir.resolve(".ca-tokens.yaml.tmp");
        Files.writeString(temp, yaml.toString());
        Files.move(temp, tokenFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Starts Prometheus ({@code /usr/bin/prometheus}, Debian's package) scraping every ztunnel, every waypoint and
     * ingress gateway (their 15020 brought to the host's loopback over a Unix-socket bridge) and istiod-lite, each
     * second; returns its URL (127.0.0.1). It stops with the mesh.
     */
    public String startPrometheus() throws Exception {
        Path binary = Path.of("/usr/bin/prometheus");
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("prometheus is not installed (Debian: apt-get install prometheus)");
        }
        Path folder = Files.createDirectories(dir.resolve("prometheus"));
        prometheusDir = folder;
        writeScrapeTargets();
        Files.writeString(folder.resolve("prometheus.yml"), """
                global: {scrape_interval: 1s, evaluation_interval: 1s}
                scrape_configs:
                - job_name: ztunnel
                  metrics_path: /stats/prometheus
                  file_sd_configs: [{files: ['%1$s/ztunnel.json'], refresh_interval: 1s}]
                - job_name: waypoint
                  metrics_path: /stats/prometheus
                  file_sd_configs: [{files: ['%1$s/proxies.json'], refresh_interval: 1s}]
                - job_name: istiod
                  metrics_path: /metrics
                  static_configs: [{targets: ['127.0.0.1:%2$d']}]
                """.formatted(folder, istiodMonitoringPort));
        int port = freePort();
        ChildProcess prometheus = launch(
                "prometheus",
                List.of(
                        binary.toString(),
                        "--config.file=" + folder.resolve("prometheus.yml"),
                        "--storage.tsdb.path=" + folder.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port,
                        "--log.level=warn"));
        String url = "http://127.0.0.1:" + port;
        awaitHttp(url + "/-/ready", prometheus);
        progress.accept("prometheus " + url + " scraping " + metricsPorts.size() + " ztunnel(s), " + proxies.size()
                + " waypoint/gateway(s) and istiod-lite every second");
        return url;
    }

    private static void awaitHttp(String url, ChildProcess process) throws Exception {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (HttpClient client = HttpClient.newHttpClient()) {
            while (true) {
                try {
                    HttpResponse<String> response = client.send(
                            HttpRequest.newBuilder(URI.create(url))
                                    .timeout(Duration.ofSeconds(2))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 200) {
                        return;
                    }
                } catch (IOException notYet) {
                    // still starting
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            process.name() + " not ready within " + READY_TIMEOUT + ":\n" + process.log());
                }
                Thread.sleep(200);
            }
        }
    }

    /** Prometheus's file-based discovery: ztunnels on the host's loopback, proxies through bridges to their netns. */
    private synchronized void writeScrapeTargets() throws Exception {
        Path folder = prometheusDir;
        StringBuilder ztunnelTargets = new StringBuilder("[");
        metricsPorts.forEach((node, port) -> ztunnelTargets
                .append(ztunnelTargets.length() > 1 ? "," : "")
                .append("{\"targets\":[\"127.0.0.1:")
                .append(port)
                .append("\"],\"labels\":{\"node\":\"")
                .append(node)
                .append("\"}}"));
        StringBuilder proxyTargets = new StringBuilder("[");
        for (MeshProxy proxy : proxies) {
            ProxyParts parts = proxyParts.get(proxy);
            if (parts == null) {
                continue; // being removed
            }
            Integer port = parts.metricsPort;
            if (port == null) {
                port = forwardToHost(
                        proxy.netns(),
                        proxy.namespace() + "." + proxy.podName() + "-metrics",
                        MeshProxy.METRICS_PORT,
                        parts.processes);
                parts.metricsPort = port;
            }
            proxyTargets
                    .append(proxyTargets.length() > 1 ? "," : "")
                    .append("{\"targets\":[\"127.0.0.1:")
                    .append(port)
                    .append("\"],\"labels\":{\"pod\":\"")
                    .append(proxy.podName())
                    .append("\",\"namespace\":\"")
                    .append(proxy.namespace())
                    .append("\"}}");
        }
        writeAtomically(
                folder.resolve("ztunnel.json"), ztunnelTargets.append("]").toString());
        writeAtomically(folder.resolve("proxies.json"), proxyTargets.append("]").toString());
    }

    /** Brings {@code 127.0.0.1:port} of a netns to a free port on the host's loopback; returns that port. */
    private int forwardToHost(Path netns, String name, int port, List<AutoCloseable> owned) throws Exception {
        Path socket = dir.resolve(name + ".sock");
        List<String> bridge = new ArrayList<>(List.of("nsenter", "--net=" + netns, "--", DemoJars.java()));
        bridge.addAll(List.of("-Xmx16m", "-Xshare:auto"));
        bridge.addAll(SMALL_JVM);
        bridge.addAll(List.of(
                "-cp",
                jars.meshctlClasses().toString(),
                UnixToTcpBridge.class.getName(),
                socket.toString(),
                Integer.toString(port)));
        ChildProcess process = launch("bridge " + name, bridge);
        owned.add(process);
        process.awaitLine("bridge ready", READY_TIMEOUT);
        TcpToUnixRelay relay = TcpToUnixRelay.start(0, socket);
        teardown.add("relay to " + socket, relay::close);
        owned.add(relay::close);
        return relay.port();
    }

    private static void writeAtomically(Path file, String content) throws IOException {
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(temp, content);
        Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The waypoints and ingress gateways started so far. */
    public List<MeshProxy> proxies() {
        return List.copyOf(proxies);
    }

    /**
     * Starts another program inside a pod's netns (a test server beside the pod's app, say) and waits for it to print
     * {@code readyMarker}; it is stopped with the mesh.
     */
    public ChildProcess launchIn(DemoPod pod, String name, List<String> argv, String readyMarker)
            throws InterruptedException {
        Path netns = podNetns.get(pod);
        if (netns == null) {
            throw new IllegalArgumentException("pod " + pod.name() + " is not part of this mesh");
        }
        List<String> full = new ArrayList<>(List.of("nsenter", "--net=" + netns, "--"));
        full.addAll(argv);
        ChildProcess process = launch(name, full);
        process.awaitLine(readyMarker, READY_TIMEOUT);
        return process;
    }

    /**
     * Sends a bounded load of HTTP/1.1 GETs from inside a pod ({@link LoadClient}) and returns what came back
     * ({@code status 200}, {@code answer reviews v1}, {@code timeouts}, {@code errors}, {@code requests} to counts).
     */
    public Map<String, Long> load(DemoPod from, String url, int requests, int concurrency, Duration timeout) {
        return load(from, url, requests, concurrency, timeout, Duration.ZERO);
    }

    /** As {@link #load(DemoPod, String, int, int, Duration)}, also counting answers slower than {@code slow}. */
    public Map<String, Long> load(
            DemoPod from, String url, int requests, int concurrency, Duration timeout, Duration slow) {
        Path netns = podNetns.get(from);
        if (netns == null) {
            throw new IllegalArgumentException("pod " + from.name() + " is not part of this mesh");
        }
        List<String> argv = meshctlMain("-Xmx128m", LoadClient.class);
        argv.addAll(List.of(
                "--url",
                url,
                "--requests",
                Integer.toString(requests),
                "--concurrency",
                Integer.toString(concurrency),
                "--timeout-ms",
                Long.toString(timeout.toMillis()),
                "--slow-ms",
                Long.toString(slow.toMillis())));
        Duration bound = Duration.ofSeconds(60).plus(timeout.multipliedBy(2));
        HostCommand.Result result =
                HostCommand.inNetns(netns, argv.toArray(String[]::new)).run(bound);
        if (!result.ok()) {
            throw new IllegalStateException("load from " + from.name() + " to " + url + " failed (exit "
                    + result.exitCode() + "): " + result.stderr().strip());
        }
        return LoadClient.parse(result.stdout());
    }

    /** The network namespace of a pod, e.g. for programs a test runs there itself. */
    public Path netnsOf(DemoPod pod) {
        return podNetns.get(pod);
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
                Integer.toString(istiodMonitoringPort = freePort()),
                "--token-file",
                tokenFile.toString(),
                "--poll-ms",
                "300",
                "--debounce-ms",
                "50"));
        if (serviceEntryAddressRange != null) {
            argv.add("--service-entry-address-range=" + serviceEntryAddressRange);
        }
        istiod = launch("istiod-lite", argv);
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
        if (dnsCapture) {
            agent.add("--dns-capture");
        }
        ChildProcess agentProcess = launch("node agent " + node.name(), agent);
        nodeAgents.put(node.name(), agentProcess);
        agentProcess.awaitLine("node agent ready", READY_TIMEOUT);

        Path tokenFile = node.dir().resolve("ztunnel-token");
        Files.writeString(tokenFile, token);
        int metricsPort = freePort();
        metricsPorts.put(node.name(), metricsPort);
        adminPorts.put(node.name(), freePort());
        readinessPorts.put(node.name(), freePort());
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
                Integer.toString(adminPorts.get(node.name())),
                "--metrics-port",
                Integer.toString(metricsPort),
                "--readiness-port",
                Integer.toString(readinessPorts.get(node.name())),
                "--stats-address",
                "127.0.0.1",
                "--drain-timeout",
                "1s",
                "--worker-threads",
                "1"));
        if (!dnsUpstreams.isEmpty()) {
            ztunnel.add("--dns-upstream=" + String.join(",", dnsUpstreams));
        }
        if (dnsCapture) {
            ztunnel.add("--dns-capture");
        }
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
                + (config.isAmbient(pod.namespace()) ? " (ambient)" : " (outside the mesh)"));
    }

    /** A pod's network as the CNI chain made it: the sandbox (kept for DEL) and the address it was given. */
    public record PodNetwork(String node, CniChain.PodSandbox sandbox, String ip) {
        public Path netns() {
            return sandbox.netns();
        }
    }

    /**
     * Makes a pod's network namespace and runs the node's CNI chain ADD for it, as a container runtime would. The
     * namespace is removed by {@link #removePodNetwork} or at teardown, whichever comes first.
     */
    public PodNetwork addPodNetwork(String nodeName, String namespace, String name, String uid) {
        SimulatedNode node = nodes.get(nodeName);
        if (node == null) {
            throw new IllegalArgumentException("no node " + nodeName + " (nodes: " + nodes.keySet() + ")");
        }
        // A dot cannot occur in either name, so no two pods get the same network namespace name.
        String netnsName = prefix + "-" + namespace + "." + name;
        HostCommand.of("ip", "netns", "add", netnsName).check();
        Path netns = Path.of("/var/run/netns", netnsName);
        teardown.add("netns " + netnsName, () -> deleteNetnsIfPresent(netnsName));
        CniChain.PodSandbox sandbox =
                new CniChain.PodSandbox("ctr-" + HexFormat.of().formatHex(randomBytes()), namespace, name, uid, netns);
        try {
            return new PodNetwork(nodeName, sandbox, node.cniChain().add(sandbox));
        } catch (RuntimeException e) {
            deleteNetnsIfPresent(netnsName);
            throw e;
        }
    }

    /** CNI DEL through the node's chain (our plugin first, so the node agent unenrolls it), then the namespace. */
    public void removePodNetwork(PodNetwork pod) {
        try {
            nodes.get(pod.node()).cniChain().delete(pod.sandbox());
        } finally {
            deleteNetnsIfPresent(pod.netns().getFileName().toString());
        }
    }

    private static void deleteNetnsIfPresent(String netnsName) {
        if (Files.exists(Path.of("/var/run/netns", netnsName))) {
            HostCommand.of("ip", "netns", "del", netnsName).check();
        }
    }

    /** Starts {@code argv} inside the pod's network namespace, as its container; stopped at teardown at the latest. */
    public ChildProcess launchInPod(String what, PodNetwork pod, List<String> argv) {
        List<String> all = new ArrayList<>(List.of("nsenter", "--net=" + pod.netns(), "--"));
        all.addAll(argv);
        return launch(what, all);
    }

    /** The command line of the built-in demo app ({@link DemoApp}), answering with its name and version. */
    public List<String> demoAppCommand(String name, String version, int port) {
        List<String> app = meshctlMain("-Xmx24m", DemoApp.class);
        app.addAll(List.of("--name", name, "--version", version, "--port", Integer.toString(port)));
        return app;
    }

    /** A small JVM running {@code main} from meshctl's own classes; the caller appends its arguments. */
    private List<String> meshctlMain(String heap, Class<?> main) {
        List<String> argv = new ArrayList<>(List.of(DemoJars.java(), heap, "-Xshare:auto"));
        argv.addAll(SMALL_JVM);
        argv.addAll(List.of("-cp", jars.meshctlClasses().toString(), main.getName()));
        return argv;
    }

    public List<String> nodeNames() {
        return List.copyOf(nodes.keySet());
    }

    public String podSubnet(String node) {
        return nodes.get(node).podSubnet();
    }

    public int xdsPort() {
        return xdsPort;
    }

    /** One component's health: its process is alive and, for ztunnel, its readiness endpoint answers 200. */
    public record ComponentHealth(String component, String node, boolean healthy, String address) {}

    public List<ComponentHealth> health() {
        List<ComponentHealth> health = new ArrayList<>();
        health.add(new ComponentHealth(
                "istiod-lite", "", istiod != null && istiod.isAlive(), "127.0.0.1:" + xdsPort + " (xDS, CA)"));
        try (HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            for (String node : nodes.keySet()) {
                ChildProcess agent = nodeAgents.get(node);
                health.add(new ComponentHealth("node agent", node, agent != null && agent.isAlive(), ""));
                ChildProcess ztunnel = ztunnels.get(node);
                boolean ready = ztunnel != null && ztunnel.isAlive() && ready(client, readinessPorts.get(node));
                health.add(new ComponentHealth(
                        "ztunnel",
                        node,
                        ready,
                        "admin 127.0.0.1:" + adminPorts.get(node) + ", metrics 127.0.0.1:" + metricsPorts.get(node)));
            }
        }
        return health;
    }

    private static boolean ready(HttpClient client, Integer port) {
        if (port == null) {
            return false;
        }
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz/ready"))
                    .timeout(Duration.ofSeconds(2))
                    .build();
            return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
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

    /**
     * A port free now for a child process to bind, chosen below the kernel's ephemeral range: a port from that range
     * (what binding port 0 gives) can be taken as the source port of any outgoing connection before the child binds
     * it, which once failed a ztunnel's start with "Address already in use".
     */
    private static int freePort() throws IOException {
        int high = Math.min(ephemeralRangeStart(), 32768);
        for (int attempt = 0; attempt < 200 && high > FIXED_PORTS_BELOW + 1000; attempt++) {
            int port = java.util.concurrent.ThreadLocalRandom.current().nextInt(FIXED_PORTS_BELOW, high);
            try (ServerSocket socket = new ServerSocket(port)) {
                return socket.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** The mesh's own fixed ports (15001, 15006, 15008, 15020, ...) stay below this. */
    private static final int FIXED_PORTS_BELOW = 20000;

    private static int ephemeralRangeStart() {
        try {
            // read as a stream: procfs reports size 0, and Files.readString then returned only "3" of "32768 60999"
            try (var in = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
                return Integer.parseInt(in.readLine().trim().split("\\s+")[0]);
            }
        } catch (IOException | RuntimeException unknown) {
            return 32768; // Linux's default
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
