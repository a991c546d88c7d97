package io.ambientjava.meshctl.local;

import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code meshctl demo}: brings up the local mesh (istiod-lite, two simulated nodes with node agent and ztunnel, the
 * shop's pods through the real CNI chain), sends traffic through it and shows what a user should see: the mTLS
 * identities on each hop, a request an AuthorizationPolicy denies, plaintext refused by STRICT mTLS, ztunnel's
 * metrics; then tears everything down.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Runs the local mesh on this machine (root) and walks through L4 traffic, identities and policy.")
public final class DemoCommand implements Callable<Integer> {
    static final String SEED_13 = "13-virtualservice-product-api.yaml";
    static final int CANARY_REQUESTS = 2000;

    @Option(names = "--keep", description = "Leave the mesh running after the walk-through, until Ctrl-C.")
    boolean keep;

    @Option(
            names = "--prometheus",
            description = "Also run Prometheus (Debian package 'prometheus') scraping every ztunnel, the waypoint and"
                    + " istiod-lite each second, and print its URL; with --keep it stays up with the mesh.")
    boolean prometheus;

    @Option(
            names = "--repo",
            description = "Repository root holding the built jars (default: the working directory or meshctl.jar's).")
    Path repo;

    @Spec
    CommandSpec spec;

    private static final List<String> NODES = List.of("node-a", "node-b");
    private static final List<DemoService> SERVICES = List.of(
            new DemoService("frontend", "198.19.0.10"),
            new DemoService("product-api", "198.19.0.11"),
            new DemoService("cart", "198.19.0.12"),
            new DemoService("payment", "198.19.0.13"),
            new DemoService("inventory", "198.19.0.14"),
            new DemoService("user", "198.19.0.15"));
    private static final String SHOP = MeshConfigFolder.NAMESPACE;
    private static final DemoPod FRONTEND = new DemoPod("frontend-v1", "frontend", "v1", SHOP, "frontend", "node-a");
    private static final DemoPod PRODUCT_V1 =
            new DemoPod("product-api-v1", "product-api", "v1", SHOP, "product-api", "node-a");
    private static final DemoPod PRODUCT_V2 =
            new DemoPod("product-api-v2", "product-api", "v2", SHOP, "product-api", "node-b");
    private static final DemoPod CART = new DemoPod("cart-v1", "cart", "v1", SHOP, "cart", "node-a");
    private static final DemoPod PAYMENT = new DemoPod("payment-v1", "payment", "v1", SHOP, "payment", "node-b");
    private static final DemoPod INVENTORY =
            new DemoPod("inventory-v1", "inventory", "v1", SHOP, "inventory", "node-b");
    private static final DemoPod USER = new DemoPod("user-v1", "user", "v1", SHOP, "user", "node-a");
    private static final DemoPod OUTSIDE =
            new DemoPod("outside", "", "v1", MeshConfigFolder.OUTSIDE_NAMESPACE, "default", "node-a");
    private static final List<DemoPod> PODS =
            List.of(FRONTEND, PRODUCT_V1, PRODUCT_V2, CART, PAYMENT, INVENTORY, USER, OUTSIDE);

    private PrintWriter out;
    private long startNanos;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new MeshctlException(
                    "meshctl demo needs root (it creates network namespaces and nftables rules); run it with sudo");
        }
        for (String tool : List.of("ip", "nft", "nsenter", "curl")) {
            if (Stream.of(System.getenv()
                            .getOrDefault("PATH", "/usr/sbin:/usr/bin")
                            .split(":"))
                    .noneMatch(d -> Files.isExecutable(Path.of(d, tool)))) {
                throw new MeshctlException("meshctl demo needs '" + tool + "' on the PATH");
            }
        }
        DemoJars jars = DemoJars.locate(repo != null ? repo : DemoJars.defaultRoot());
        startNanos = System.nanoTime();
        for (String stale : StaleMeshes.sweep()) {
            progress("removed " + stale + ", left behind by a demo run that was killed");
        }
        LocalMesh mesh = LocalMesh.create(jars, this::progress);
        Thread hook = Thread.ofPlatform().unstarted(() -> {
            progress("interrupted: tearing down " + mesh.name() + " ...");
            mesh.close();
        });
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            progress("local mesh " + mesh.name() + " starting (folder " + mesh.dir() + ")");
            mesh.start(NODES, SERVICES, PODS);
            if (prometheus) {
                String url = mesh.startPrometheus();
                progress("Prometheus: " + url + "/graph?g0.expr="
                        + java.net.URLEncoder.encode(
                                "sum(rate(istio_requests_total[1m])) by (destination_service, response_code)",
                                java.nio.charset.StandardCharsets.UTF_8));
            }
            walkThrough(mesh);
            if (keep) {
                progress("mesh " + mesh.name() + " keeps running (config folder "
                        + mesh.config().dir() + "); Ctrl-C tears it down");
                out.flush();
                new CountDownLatch(1).await();
            }
        } finally {
            progress("tearing down " + mesh.name() + " ...");
            mesh.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Already running as part of shutdown.
            }
            List<String> left = leftovers(mesh.name());
            progress(
                    left.isEmpty()
                            ? "teardown complete: no " + mesh.name() + " namespaces, processes or files left"
                            : "teardown left: " + String.join(", ", left));
        }
        return ExitCodes.OK;
    }

    private void walkThrough(LocalMesh mesh) throws Exception {
        progress("waiting for the mesh to carry traffic (frontend -> every service) ...");
        warmUp(mesh);
        progress("mesh ready");
        out.println();
        out.println("== 1. traffic through ztunnel: HBONE mTLS between the pods' ztunnels, plain HTTP in the apps");
        out.println("     (answer from the app; identities from the destination ztunnel's access log)");
        for (int i = 0; i < 4; i++) {
            hop(mesh, FRONTEND, "product-api");
        }
        hop(mesh, FRONTEND, "cart");
        hop(mesh, FRONTEND, "user");
        hop(mesh, CART, "inventory");
        hop(mesh, CART, "payment");
        hop(mesh, FRONTEND, "payment");

        out.println();
        out.println("== 2. identities seen by the destination ztunnels (istio_tcp_connections_opened_total)");
        for (String line : identities(mesh.ztunnelMetrics())) {
            out.println("  " + line);
        }

        out.println();
        out.println("== 3. L4 authorization: only frontend may call payment");
        String policy = mesh.config().writeAllowOnly("payment", "frontend");
        policy.lines().forEach(l -> out.println("    " + l));
        progress("applied AuthorizationPolicy shop/payment-from-frontend; waiting for the ztunnels to get it ...");
        AccessLogCursor cursor = new AccessLogCursor(mesh);
        HostCommand.Result denied = awaitRefusal(mesh, CART, serviceVip("payment") + ":" + DemoService.PORT);
        out.println("  DENIED cart -> payment: " + failure(denied));
        out.println("    why: AuthorizationPolicy shop/payment-from-frontend allows only " + FRONTEND.principal()
                + "; the caller is " + CART.principal());
        cursor.errors().forEach(l -> out.println("    ztunnel: " + l));
        hop(mesh, FRONTEND, "payment");

        out.println();
        out.println("== 4. STRICT PeerAuthentication: plaintext from outside the mesh is refused");
        String target = mesh.ipOf(PRODUCT_V1) + ":" + DemoService.TARGET_PORT;
        AccessLogCursor plaintextCursor = new AccessLogCursor(mesh);
        HostCommand.Result plaintext = curl(mesh, OUTSIDE, target);
        if (plaintext.ok()) {
            out.println("  UNEXPECTED legacy/outside -> product-api-v1 " + target + " (plaintext) was answered: "
                    + plaintext.stdout().strip());
        } else {
            out.println("  REFUSED legacy/outside (not in the mesh) -> product-api-v1 " + target + " (plaintext): "
                    + failure(plaintext));
            out.println("    why: PeerAuthentication istio-system/default sets mtls mode STRICT");
            plaintextCursor.errors().forEach(l -> out.println("    ztunnel: " + l));
        }

        out.println();
        out.println("== 5. ztunnel metrics scraped from each node");
        for (var entry : mesh.ztunnelMetrics().entrySet()) {
            for (String name : List.of(
                    "istio_tcp_connections_opened_total",
                    "istio_tcp_connections_closed_total",
                    "istio_tcp_sent_bytes_total",
                    "istio_tcp_received_bytes_total")) {
                out.printf("  %-7s %-36s %s%n", entry.getKey(), name, (long) sum(entry.getValue(), name));
            }
        }
        walkThroughL7(mesh);
    }

    private void walkThroughL7(LocalMesh mesh) throws Exception {
        out.println();
        out.println("== 6. L7: a waypoint for namespace " + SHOP + " (what `meshctl waypoint generate -n " + SHOP
                + "` writes), services bound with istio.io/use-waypoint");
        io.ambientjava.meshctl.output.YamlOutput.yaml(io.ambientjava.meshctl.waypoint.WaypointGateway.of(
                        SHOP,
                        "waypoint",
                        io.ambientjava.meshctl.waypoint.TrafficType.SERVICE,
                        java.util.Optional.empty()))
                .lines()
                .forEach(l -> out.println("    " + l));
        MeshProxy waypoint = mesh.addWaypoint(SHOP, "waypoint", "node-a");
        mesh.config().labelNamespace(SHOP, "istio.io/use-waypoint", "waypoint");
        progress("labelled namespace " + SHOP + " istio.io/use-waypoint=waypoint; waiting for the ztunnels to send"
                + " through it ...");
        awaitThroughWaypoint(mesh, waypoint);
        out.println("  frontend -> product-api now goes pod -> ztunnel -> waypoint " + waypoint.ip()
                + " -> ztunnel -> pod; the waypoint logged:");
        List<String> log = waypoint.accessLog();
        out.println("    " + log.getLast());

        out.println();
        out.println("== 7. canary: the guide's VirtualService " + SEED_13 + ", applied as `kubectl apply -n " + SHOP
                + "` would");
        mesh.config().apply("50-product-api-subsets.yaml", """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: product-api-subsets, namespace: %s}
                spec:
                  host: product-api
                  subsets:
                  - {name: v1, labels: {version: v1}}
                  - {name: v2, labels: {version: v2}}
                """.formatted(SHOP));
        String seed;
        try (var in = DemoCommand.class.getResourceAsStream(SEED_13)) {
            seed = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        seed.lines().forEach(l -> out.println("    " + l));
        mesh.config().applyInNamespace("51-" + SEED_13, seed, SHOP);
        awaitCanary(mesh);
        Map<String, Long> split = mesh.load(
                FRONTEND,
                "http://" + serviceVip("product-api") + ":" + DemoService.PORT + "/",
                CANARY_REQUESTS,
                16,
                Duration.ofSeconds(5));
        long v1 = split.getOrDefault("answer product-api v1", 0L);
        long v2 = split.getOrDefault("answer product-api v2", 0L);
        out.printf(
                "  %d requests frontend -> product-api: v1 %d (%.1f%%), v2 %d (%.1f%%), other %d  [asked 90/10]%n",
                CANARY_REQUESTS,
                v1,
                100.0 * v1 / CANARY_REQUESTS,
                v2,
                100.0 * v2 / CANARY_REQUESTS,
                CANARY_REQUESTS - v1 - v2);

        out.println();
        out.println("== 8. a route timeout the user sees: inventory answers in 2 s, the route allows 1 s");
        String timeout = """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: inventory, namespace: %s}
                spec:
                  hosts: [inventory]
                  http:
                  - route: [{destination: {host: inventory}}]
                    timeout: 1s
                """.formatted(SHOP);
        timeout.lines().forEach(l -> out.println("    " + l));
        mesh.config().apply("52-inventory-timeout.yaml", timeout);
        String slow = "http://" + serviceVip("inventory") + ":" + DemoService.PORT + "/?delay=2000";
        HostCommand.Result timedOut = awaitStatus(mesh, CART, slow, "504");
        out.println("  cart -> inventory (2 s to answer): " + oneLine(timedOut.stdout()));
        HostCommand.Result quick = mesh.execIn(
                CART,
                "curl",
                "-sS",
                "-m",
                "5",
                "-w",
                " [HTTP %{http_code} in %{time_total} s]",
                "http://" + serviceVip("inventory") + ":" + DemoService.PORT + "/");
        out.println("  cart -> inventory (at once):       " + oneLine(quick.stdout()));

        out.println();
        out.println("== 9. the waypoint's istio_requests_total (scraped from " + waypoint.ip() + ":"
                + MeshProxy.METRICS_PORT + "/stats/prometheus)");
        for (String line : requestTotals(waypoint.metrics())) {
            out.println("  " + line);
        }
        out.println();
    }

    /** Until frontend -> product-api shows up in the waypoint's access log (the label reached the ztunnels). */
    private void awaitThroughWaypoint(LocalMesh mesh, MeshProxy waypoint) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            int before = waypoint.accessLog().size();
            HostCommand.Result result = curl(mesh, FRONTEND, serviceVip("product-api") + ":" + DemoService.PORT);
            if (result.ok()
                    && !waypoint.accessLogAfter(before, 1, Duration.ofSeconds(2))
                            .isEmpty()) {
                return;
            }
            last = result.ok() ? result.stdout().strip() : failure(result);
            Thread.sleep(300);
        }
        throw new IllegalStateException("frontend -> product-api did not go through the waypoint within 45 s (" + last
                + "); logs are in " + mesh.dir().resolve("logs") + " until teardown");
    }

    /** Until the waypoint has the subsets (a v2 answer among a few requests, none failing). */
    private void awaitCanary(LocalMesh mesh) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            Map<String, Long> probe = mesh.load(
                    FRONTEND,
                    "http://" + serviceVip("product-api") + ":" + DemoService.PORT + "/",
                    50,
                    4,
                    Duration.ofSeconds(5));
            if (probe.getOrDefault("status 200", 0L) == 50 && probe.getOrDefault("answer product-api v2", 0L) < 20) {
                return;
            }
            Thread.sleep(500);
        }
    }

    private HostCommand.Result awaitStatus(LocalMesh mesh, DemoPod from, String url, String status)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        HostCommand.Result result;
        do {
            result = mesh.execIn(from, "curl", "-sS", "-m", "5", "-w", " [HTTP %{http_code} in %{time_total} s]", url);
            if (result.stdout().contains("[HTTP " + status)) {
                return result;
            }
            Thread.sleep(300);
        } while (System.nanoTime() < deadline);
        return result;
    }

    private static String oneLine(String text) {
        return text.strip().replaceAll("\\s*\\n\\s*", " ");
    }

    /** {@code destination_service response_code count} lines from a waypoint's metrics, summed over other labels. */
    static List<String> requestTotals(String metrics) {
        Map<String, Double> sums = new java.util.TreeMap<>();
        metrics.lines().filter(l -> l.startsWith("istio_requests_total{")).forEach(l -> {
            Map<String, String> labels = labels(l);
            String key = String.format(
                    "%-40s %-4s from %s",
                    labels.getOrDefault("destination_service", "?"),
                    labels.getOrDefault("response_code", "?"),
                    labels.getOrDefault("source_workload", "?"));
            sums.merge(key, Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)), Double::sum);
        });
        return sums.entrySet().stream()
                .map(e -> "istio_requests_total " + e.getKey() + "  "
                        + e.getValue().longValue())
                .toList();
    }

    /** Every service answers frontend (product-api from both versions) before the walk-through starts. */
    private void warmUp(LocalMesh mesh) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
        java.util.Set<String> waiting = new java.util.TreeSet<>();
        SERVICES.stream().filter(s -> !s.name().equals("frontend")).forEach(s -> waiting.add(s.name()));
        waiting.add("product-api v2");
        String last = "";
        while (!waiting.isEmpty()) {
            for (String wanted : List.copyOf(waiting)) {
                String service = wanted.split(" ")[0];
                HostCommand.Result result = curl(mesh, FRONTEND, serviceVip(service) + ":" + DemoService.PORT);
                if (result.ok() && result.stdout().startsWith(wanted)) {
                    waiting.remove(wanted);
                } else if (!result.ok()) {
                    last = service + ": " + failure(result);
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the mesh did not carry traffic to " + waiting + " within 45 s (" + last
                        + "); logs are in " + mesh.dir().resolve("logs") + " until teardown");
            }
            Thread.sleep(200);
        }
    }

    /** One call through the mesh and what the destination ztunnel logged about it. */
    private void hop(LocalMesh mesh, DemoPod from, String service) throws InterruptedException {
        AccessLogCursor cursor = new AccessLogCursor(mesh);
        HostCommand.Result result = curl(mesh, from, serviceVip(service) + ":" + DemoService.PORT);
        String hop = from.service() + " -> " + service;
        if (!result.ok()) {
            out.printf("  %-24s FAILED: %s%n", hop, failure(result));
            cursor.errors().forEach(l -> out.println("    ztunnel: " + l));
            return;
        }
        String mtls = cursor.inbound()
                .map(l -> field(l, "src.identity") + " -> " + field(l, "dst.identity"))
                .orElse("(no access log line yet)");
        out.printf("  %-24s %-38s mTLS %s%n", hop, result.stdout().strip(), mtls);
    }

    /** The new access log lines of all ztunnels since it was made. */
    private static final class AccessLogCursor {
        private final LocalMesh mesh;
        private final Map<String, Integer> seen = new java.util.HashMap<>();

        AccessLogCursor(LocalMesh mesh) {
            this.mesh = mesh;
            mesh.accessLog().forEach((node, lines) -> seen.put(node, lines.size()));
        }

        private List<String> fresh() {
            List<String> lines = new java.util.ArrayList<>();
            mesh.accessLog()
                    .forEach((node, all) ->
                            lines.addAll(all.subList(Math.min(seen.getOrDefault(node, 0), all.size()), all.size())));
            return lines;
        }

        /** The destination ztunnel's line for the connection, waiting briefly for it to be written. */
        java.util.Optional<String> inbound() throws InterruptedException {
            for (int i = 0; i < 20; i++) {
                java.util.Optional<String> line = fresh().stream()
                        .filter(l -> l.contains("direction=\"inbound\"") && l.contains("src.identity="))
                        .findFirst();
                if (line.isPresent()) {
                    return line;
                }
                Thread.sleep(50);
            }
            return java.util.Optional.empty();
        }

        /** The refusals and errors logged since, shortened to who, where and why. */
        List<String> errors() throws InterruptedException {
            Thread.sleep(300);
            return fresh().stream()
                    .filter(l -> l.contains("error="))
                    .map(l -> field(l, "direction") + " " + field(l, "src.addr") + " -> " + field(l, "dst.addr")
                            + " error=" + field(l, "error"))
                    .distinct()
                    .toList();
        }
    }

    /** A {@code key=value} or {@code key="value"} field of an access log line, or "?" when absent. */
    static String field(String line, String key) {
        int at = line.indexOf(" " + key + "=");
        if (at < 0) {
            return "?";
        }
        int start = at + key.length() + 2;
        if (start < line.length() && line.charAt(start) == '"') {
            int end = line.indexOf('"', start + 1);
            return end < 0 ? line.substring(start + 1) : line.substring(start + 1, end);
        }
        int end = line.indexOf(' ', start);
        return end < 0 ? line.substring(start) : line.substring(start, end);
    }

    private HostCommand.Result awaitRefusal(LocalMesh mesh, DemoPod from, String target) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            HostCommand.Result result = curl(mesh, from, target);
            if (!result.ok()) {
                return result;
            }
            Thread.sleep(300);
        }
        throw new IllegalStateException(from.name() + " -> " + target + " was still allowed 20 s after the policy");
    }

    private static HostCommand.Result curl(LocalMesh mesh, DemoPod from, String target) {
        return mesh.execIn(from, "curl", "-sS", "-m", "3", "http://" + target + "/");
    }

    private static String failure(HostCommand.Result result) {
        String text = result.stderr().strip();
        return text.isEmpty() ? "exit " + result.exitCode() : text;
    }

    private static String serviceVip(String name) {
        return SERVICES.stream()
                .filter(s -> s.name().equals(name))
                .findFirst()
                .orElseThrow()
                .vip();
    }

    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    /** {@code source -> destination (policy)} for every connection a destination ztunnel reported. */
    static List<String> identities(Map<String, String> metricsByNode) {
        return metricsByNode.entrySet().stream()
                .flatMap(node -> node.getValue()
                        .lines()
                        .filter(l -> l.startsWith("istio_tcp_connections_opened_total{")
                                && l.contains("reporter=\"destination\""))
                        .map(l -> {
                            Map<String, String> labels = labels(l);
                            String count = l.substring(l.lastIndexOf(' ') + 1);
                            return labels.getOrDefault("source_principal", "?") + " -> "
                                    + labels.getOrDefault("destination_principal", "?") + " ["
                                    + labels.getOrDefault("connection_security_policy", "?") + ", reported by "
                                    + node.getKey() + ", " + (long) Double.parseDouble(count) + " connections]";
                        }))
                .sorted()
                .toList();
    }

    private static Map<String, String> labels(String line) {
        Map<String, String> labels = new java.util.HashMap<>();
        Matcher matcher = LABEL.matcher(line.substring(0, line.indexOf('}') + 1));
        while (matcher.find()) {
            labels.put(matcher.group(1), matcher.group(2));
        }
        return labels;
    }

    static double sum(String metrics, String name) {
        return metrics.lines()
                .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** Network namespaces, processes or temporary folders of this run still present. */
    static List<String> leftovers(String meshName) {
        List<String> left = new java.util.ArrayList<>();
        HostCommand.Result netns = HostCommand.of("ip", "netns", "list").run();
        netns.stdout().lines().filter(l -> l.startsWith(meshName)).forEach(l -> left.add("netns " + l));
        ProcessHandle.current()
                .descendants()
                .filter(ProcessHandle::isAlive)
                .forEach(p -> left.add(
                        "process " + p.pid() + " " + p.info().commandLine().orElse("")));
        try (Stream<Path> temp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            temp.filter(p -> p.getFileName().toString().startsWith(meshName)).forEach(p -> left.add("folder " + p));
        } catch (java.io.IOException e) {
            left.add("cannot list the temporary folder: " + e.getMessage());
        }
        return left;
    }

    private void progress(String message) {
        out.printf("[%5.1fs] %s%n", (System.nanoTime() - startNanos) / 1e9, message);
        out.flush();
    }
}
