package io.ambientjava.meshctl.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local mesh as a user drives it, through the built {@code meshctl.jar} as separate processes (so the supervisor
 * really outlives each command): up, apply a Service and a VirtualService, label the namespace, run two pods, call
 * one from the other through the ztunnels, apply a waypoint for one pod's address and call it through that, delete
 * the waypoint (nothing of it left; the name applies again), unlabel (traffic no longer passes ztunnel), delete the
 * pods, down; and nothing of the mesh is left.
 */
@RequiresRoot
@RequiresCommand({"ip", "nft", "nsenter", "curl", "setsid"})
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LocalMeshCommandsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    private Path repo;
    private Path runtimeDir;
    private String mesh;

    /** One finished meshctl process. */
    record Run(int exit, String out, String err) {}

    @BeforeEach
    void findJars() throws IOException {
        repo = Path.of("").toAbsolutePath().getParent();
        for (String jar : List.of(
                "meshctl/target/meshctl.jar",
                "istiod-lite/target/istiod-lite.jar",
                "ztunnel-java/target/ztunnel.jar",
                "cni-plugin/target/ambient-cni.jar")) {
            Assumptions.assumeTrue(Files.isRegularFile(repo.resolve(jar)), "needs " + jar + " (build that module)");
        }
        runtimeDir = Files.createDirectories(temp.resolve("runtime"));
        byte[] random = new byte[3];
        new SecureRandom().nextBytes(random);
        mesh = "it-" + HexFormat.of().formatHex(random);
    }

    @AfterEach
    void downEvenOnFailure() throws Exception {
        if (Files.exists(runtimeDir.resolve("ambient-java/local").resolve(mesh))) {
            meshctl("local", "down");
        }
    }

    @Test
    void upApplyLabelRunCurlUnlabelDeleteDown() throws Exception {
        Run up = meshctl("local", "up", "--repo", repo.toString());
        assertThat(up.exit()).as(up.out() + up.err()).isZero();
        assertThat(up.out()).contains("local mesh '" + mesh + "' is up");
        assertThat(meshctl("local", "up", "--repo", repo.toString()).err())
                .as("a second up is refused")
                .contains("is already running");

        Path manifests = temp.resolve("web.yaml");
        Files.writeString(manifests, """
                apiVersion: v1
                kind: Service
                metadata: {name: web}
                spec:
                  selector: {app: web}
                  ports:
                  - {name: http, port: 80, targetPort: 8080}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: web}
                spec:
                  hosts: [web.default.svc.cluster.local]
                  http:
                  - route:
                    - destination: {host: web.default.svc.cluster.local}
                """);
        Run apply = meshctl("apply", "-f", manifests.toString());
        assertThat(apply.out())
                .as(apply.err())
                .contains("service/web created", "virtualservice.networking.istio.io/web created");
        assertThat(meshctl("label", "namespace", "default", "istio.io/dataplane-mode=ambient")
                        .out())
                .contains("namespace/default labeled");

        Run web = meshctl("pod", "run", "web", "-l", "app=web,version=v1", "--node", "node-a");
        assertThat(web.out()).as(web.err()).contains("pod/web created in namespace default on node-a");
        Run client = meshctl(
                "pod", "run", "client", "--image-app", "none", "--node", "node-b", "--service-account", "client");
        assertThat(client.out()).as(client.err()).contains("pod/client created in namespace default on node-b");

        assertThat(web.out() + client.out())
                .as("the namespace was labelled first")
                .contains("(enrolled in the mesh");

        JsonNode status = status();
        String vip = status.path("services").get(0).path("clusterIp").asText();
        assertThat(vip).startsWith("198.19.");
        String webIp = pod(status, "web").path("ip").asText();
        String clientIp = pod(status, "client").path("ip").asText();
        int metricsPort = metricsPort(status, "node-a");
        assertThat(status.path("components").findValues("healthy")).allMatch(JsonNode::asBoolean);

        // Through the mesh: client's ztunnel resolves the VIP, HBONE to web's ztunnel, which counts it. curl retries
        // while the ztunnels still fetch the pods' certificates.
        Run viaMesh = meshctl(
                "pod",
                "exec",
                "client",
                "--",
                "curl",
                "-sS",
                "-m",
                "3",
                "--retry",
                "20",
                "--retry-delay",
                "1",
                "--retry-all-errors",
                "http://" + vip + "/");
        assertThat(viaMesh.out()).as(viaMesh.err()).contains("web v1 (saw peer " + clientIp + ")");
        double throughZtunnel = inboundConnections(metricsPort);
        assertThat(throughZtunnel).isGreaterThanOrEqualTo(1);
        Run listed = meshctl("pod", "list");
        assertThat(listed.out())
                .containsPattern("default +web +" + Pattern.quote(webIp) + " +node-a +ambient +Running");

        // Pods are labelled like namespaces (kubectl label pod), e.g. istio.io/use-waypoint for their own address.
        assertThat(meshctl("label", "pod", "web", "-n", "default", "tier=front").out())
                .contains("pod/web labeled");
        assertThat(meshctl("label", "pod", "web", "tier=front").out()).contains("pod/web not labeled");
        assertThat(meshctl("label", "pod", "web", "tier=back").err())
                .contains("'tier' already has a value (front), and --overwrite is false");
        assertThat(meshctl("label", "pod", "nobody", "tier=front").err())
                .contains("pod nobody in namespace default not found in local mesh");
        assertThat(meshctl("label", "pod", "web", "tier-").out()).contains("pod/web labeled");

        String meshName = status.path("name").asText();
        Path meshDir = Path.of(status.path("configDir").asText()).getParent();
        long processesWithoutWaypoint = meshProcesses(meshDir);

        // A waypoint of web's own (istioctl waypoint apply --for workload, then the pod's istio.io/use-waypoint):
        // calls to web's address pass it, so web sees the waypoint's address as its peer instead of client's.
        Run waypoint = meshctl("local", "waypoint", "apply", "web-wp", "--for", "workload", "--node", "node-b");
        assertThat(waypoint.exit()).as(waypoint.out() + waypoint.err()).isZero();
        Matcher applied = Pattern.compile("waypoint default/web-wp applied on node-b \\(([0-9.]+), "
                        + Pattern.quote("spiffe://cluster.local/ns/default/sa/web-wp") + "\\), for workload traffic")
                .matcher(waypoint.out());
        assertThat(applied.find()).as(waypoint.out()).isTrue();
        String waypointIp = applied.group(1);
        assertThat(meshctl("local", "waypoint", "list").out())
                .containsPattern("default +web-wp +workload +node-b +" + Pattern.quote(waypointIp) + " ");
        Run again = meshctl("local", "waypoint", "apply", "web-wp", "--for", "workload");
        assertThat(again.exit())
                .as("a second apply of the same waypoint is refused")
                .isNotZero();
        assertThat(again.err()).contains("meshctl: waypoint default/web-wp already exists (on node-b)");
        assertThat(meshctl("label", "pod", "web", "istio.io/use-waypoint=web-wp")
                        .out())
                .contains("pod/web labeled");
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    Run viaWaypoint = meshctl(
                            "pod", "exec", "client", "--", "curl", "-sS", "-m", "3", "http://" + webIp + ":8080/");
                    assertThat(viaWaypoint.out())
                            .as("istiod-lite has pushed web's waypoint to client's ztunnel")
                            .contains("web v1 (saw peer " + waypointIp + ")");
                });
        assertThat(meshctl("label", "pod", "web", "istio.io/use-waypoint-").out())
                .contains("pod/web labeled");

        // istioctl waypoint delete: its processes, CNI DEL and netns, Gateway/Service/Pod and token go; the name is
        // free again (applied on the default node this time, node-a, and deleted again).
        assertThat(meshctl("local", "status").out())
                .containsPattern("default +web-wp +workload +node-b +" + Pattern.quote(waypointIp) + " ");
        Run deleted = meshctl("local", "waypoint", "delete", "web-wp");
        assertThat(deleted.out()).as(deleted.err()).isEqualTo("waypoint default/web-wp deleted\n");
        assertThat(meshctl("local", "waypoint", "list").out()).isEqualTo("No waypoints.\n");
        assertWaypointGone(meshName, meshDir, processesWithoutWaypoint);
        Run deletedAgain = meshctl("local", "waypoint", "delete", "web-wp");
        assertThat(deletedAgain.exit()).isEqualTo(1);
        assertThat(deletedAgain.err()).isEqualTo("meshctl: waypoint default/web-wp not found\n");
        Run reapplied = meshctl("local", "waypoint", "apply", "web-wp", "--for", "workload");
        assertThat(reapplied.out()).as(reapplied.err()).contains("waypoint default/web-wp applied on node-a");
        assertThat(meshctl("local", "waypoint", "list").out()).containsPattern("default +web-wp +workload +node-a ");
        assertThat(meshctl("local", "waypoint", "delete", "web-wp").out())
                .isEqualTo("waypoint default/web-wp deleted\n");
        assertWaypointGone(meshName, meshDir, processesWithoutWaypoint);
        assertThat(status().get("waypoints"))
                .as("status lists waypoints")
                .isNotNull()
                .isEmpty();
        // Calls made meanwhile (direct ones before the push, the waypoint's) may have counted; the direct call out of
        // the mesh below must not add to what is counted now.
        throughZtunnel = inboundConnections(metricsPort);

        // Out of the mesh: no redirection, so the VIP means nothing any more and the pod IP is reached directly.
        assertThat(meshctl("label", "namespace", "default", "istio.io/dataplane-mode-")
                        .out())
                .contains("namespace/default labeled");
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> !pod(status(), "web").path("enrolled").asBoolean()
                        && !pod(status(), "client").path("enrolled").asBoolean());
        Run direct = meshctl("pod", "exec", "client", "--", "curl", "-sS", "-m", "3", "http://" + webIp + ":8080/");
        assertThat(direct.out()).as(direct.err()).contains("web v1 (saw peer " + clientIp + ")");
        assertThat(meshctl("pod", "exec", "client", "--", "curl", "-sS", "-m", "3", "http://" + vip + "/")
                        .exit())
                .as("the VIP is only served by ztunnel")
                .isNotZero();
        assertThat(inboundConnections(metricsPort)).isEqualTo(throughZtunnel);

        assertThat(meshctl("pod", "delete", "web", "client").out()).contains("pod/web deleted", "pod/client deleted");
        assertThat(meshctl("pod", "list").out()).contains("No pods.");
        assertThat(meshctl("delete", "-f", manifests.toString()).out())
                .contains("service/web deleted", "virtualservice.networking.istio.io/web deleted");

        Run down = meshctl("local", "down");
        assertThat(down.exit()).as(down.out() + down.err()).isZero();
        assertThat(down.out()).contains("is down: no processes, network namespaces, files or state folder left");

        assertThat(LocalCommand.leftovers(meshName, meshDir)).isEmpty();
        assertThat(HostCommand.of("ip", "netns", "list").run().stdout()).doesNotContain(meshName);
        assertThat(runtimeDir.resolve("ambient-java")).doesNotExist();
        Run after = meshctl("local", "status");
        assertThat(after.exit()).isEqualTo(1);
        assertThat(after.err()).contains("no local mesh '" + mesh + "' is running", "meshctl local up --mesh " + mesh);
    }

    /** Nothing of waypoint default/web-wp is left in the running mesh. */
    private static void assertWaypointGone(String meshName, Path meshDir, long processesWithoutWaypoint)
            throws IOException {
        assertThat(HostCommand.of("ip", "netns", "list").run().stdout()).doesNotContain(meshName + "-default.web-wp-0");
        assertThat(meshDir.resolve("config/35-waypoint-default.web-wp-0.yaml")).doesNotExist();
        assertThat(meshDir.resolve("default.web-wp-0-token")).doesNotExist();
        assertThat(Files.readString(meshDir.resolve("ca-tokens.yaml"))).doesNotContain("serviceAccount: web-wp");
        assertThat(meshProcesses(meshDir))
                .as("the waypoint and its istiod relay have stopped")
                .isEqualTo(processesWithoutWaypoint);
    }

    /** The mesh's processes (their command lines name its folder: its jars are copied there). */
    private static long meshProcesses(Path meshDir) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains(meshDir.toString()))
                .count();
    }

    private JsonNode status() throws Exception {
        Run status = meshctl("local", "status", "-o", "json");
        assertThat(status.exit()).as(status.err()).isZero();
        return JSON.readTree(status.out());
    }

    private static JsonNode pod(JsonNode status, String name) {
        for (JsonNode pod : status.path("pods")) {
            if (pod.path("name").asText().equals(name)) {
                return pod;
            }
        }
        throw new AssertionError("no pod " + name + " in " + status);
    }

    private static int metricsPort(JsonNode status, String node) {
        for (JsonNode component : status.path("components")) {
            if (component.path("component").asText().equals("ztunnel")
                    && component.path("node").asText().equals(node)) {
                Matcher port = Pattern.compile("metrics 127\\.0\\.0\\.1:(\\d+)")
                        .matcher(component.path("address").asText());
                assertThat(port.find()).isTrue();
                return Integer.parseInt(port.group(1));
            }
        }
        throw new AssertionError("no ztunnel on " + node);
    }

    /** Connections web's ztunnel accepted for web from client's identity (reporter=destination, mutual TLS). */
    private static double inboundConnections(int metricsPort) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            String metrics = http.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/stats/prometheus"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            return metrics.lines()
                    .filter(l -> l.startsWith("istio_tcp_connections_opened_total{")
                            && l.contains("reporter=\"destination\"")
                            && l.contains("destination_workload=\"web\"")
                            && l.contains("source_principal=\"spiffe://cluster.local/ns/default/sa/client\"")
                            && l.contains("connection_security_policy=\"mutual_tls\""))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                    .sum();
        }
    }

    private Run meshctl(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(
                DemoJars.java(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-jar",
                repo.resolve("meshctl/target/meshctl.jar").toString(),
                args[0]));
        // --mesh belongs to the subcommand, after its name(s).
        int at = 1;
        if (List.of("local", "pod").contains(args[0])) {
            argv.add(args[1]);
            at = 2;
            if (args[1].equals("waypoint")) {
                argv.add(args[2]);
                at = 3;
            }
        }
        argv.addAll(List.of("--mesh", mesh));
        argv.addAll(List.of(args).subList(at, args.length));
        ProcessBuilder builder = new ProcessBuilder(argv);
        builder.environment().put("XDG_RUNTIME_DIR", runtimeDir.toString());
        Path out = temp.resolve("out.txt");
        Path err = temp.resolve("err.txt");
        Process process = builder.redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        if (!process.waitFor(150, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("meshctl " + String.join(" ", args) + " did not finish in 150 s");
        }
        Run run = new Run(
                process.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        System.out.println(
                "$ meshctl " + String.join(" ", args) + "  -> exit " + run.exit() + "\n" + run.out() + run.err());
        return run;
    }
}
