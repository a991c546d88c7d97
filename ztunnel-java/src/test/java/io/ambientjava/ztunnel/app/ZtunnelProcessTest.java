package io.ambientjava.ztunnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.EchoServer;
import io.ambientjava.testing.netns.NamespacedHost;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Node;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.testing.netns.StartedProcess;
import io.ambientjava.ztunnel.testsupport.InPodRedirection;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole ztunnel process, as operators run it: {@code ZtunnelMain} in a child JVM inside a node's network
 * namespace, two pods with Istio's in-pod redirection, a local config and a plugged-in CA; traffic from pod to pod,
 * Istio's metrics scraped over HTTP from port 15020, then SIGTERM and a graceful exit.
 */
@RequiresRoot
@RequiresCommand({"ip", "nft"})
class ZtunnelProcessTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Pattern READY = Pattern.compile(
            "ztunnel ready admin=127\\.0\\.0\\.1:(\\d+) metrics=0\\.0\\.0\\.0:(\\d+) readiness=0\\.0\\.0\\.0:(\\d+)"
                    + " node=node1 pods=2");
    private static final String CLIENT_UID = "Kubernetes//Pod/default/client";
    private static final String SERVER_UID = "Kubernetes//Pod/default/server";

    /** The labels upstream ztunnel puts on client → server traffic (sorted, as Prometheus text shows them). */
    private static final String LABELS = "connection_security_policy=\"mutual_tls\",destination_app=\"server\","
            + "destination_canonical_revision=\"v1\",destination_canonical_service=\"server\","
            + "destination_cluster=\"Kubernetes\",destination_principal=\"spiffe://cluster.local/ns/default/sa/server\","
            + "destination_service=\"unknown\",destination_service_name=\"unknown\","
            + "destination_service_namespace=\"unknown\",destination_version=\"v1\",destination_workload=\"server\","
            + "destination_workload_namespace=\"default\",reporter=\"%s\",request_protocol=\"tcp\",response_flags=\"-\","
            + "source_app=\"client\",source_canonical_revision=\"v1\",source_canonical_service=\"client\","
            + "source_cluster=\"Kubernetes\",source_principal=\"spiffe://cluster.local/ns/default/sa/client\","
            + "source_version=\"v1\",source_workload=\"client\",source_workload_namespace=\"default\"";

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.singleNode();

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeServers() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            c.close();
        }
    }

    @Test
    void servesPodTrafficExportsIstioMetricsAndDrainsOnSigterm() throws Exception {
        Node node = net.node(1);
        Pod client = node.addPod("client");
        Pod server = node.addPod("server");
        InPodRedirection.install(client);
        InPodRedirection.install(server);
        EchoServer echo = server.startEchoServer(8080);
        TripleServer triple = own(TripleServer.startIn(server, 9090));

        Path caDir = dir.resolve("cacerts");
        MeshCertificateAuthority.createSelfSigned("cluster.local").writeTo(caDir);
        Path config = Files.writeString(dir.resolve("mesh.yaml"), localConfig(client, server));
        Path podsFile = Files.writeString(dir.resolve("pods.txt"), SERVER_UID + " " + server.netnsPath() + "\n");

        StartedProcess ztunnel = node.start(command(
                "--node=node1",
                "--local-config=" + config,
                "--ca-dir=" + caDir,
                "--pod=" + CLIENT_UID + "=" + client.netnsPath(),
                "--pods-file=" + podsFile,
                "--admin-port=0",
                "--metrics-port=0",
                "--readiness-port=0",
                "--drain-timeout=5s"));
        Matcher ready = awaitReadyLine(ztunnel);
        int adminPort = Integer.parseInt(ready.group(1));
        int metricsPort = Integer.parseInt(ready.group(2));
        int readinessPort = Integer.parseInt(ready.group(3));
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(httpGet(node, readinessPort, "/healthz/ready"))
                        .startsWith("HTTP/1.1 200 "));

        // 100 bytes from client to server, 300 back
        byte[] request = new byte[100];
        Arrays.fill(request, (byte) 'x');
        assertThat(exchange(client, server.address(9090), request)).hasSize(300);

        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(scrape(node, metricsPort))
                        .contains(
                                line("istio_tcp_connections_opened_total", "destination", "1.0"),
                                line("istio_tcp_connections_closed_total", "destination", "1.0"),
                                line("istio_tcp_received_bytes_total", "destination", "100.0"),
                                line("istio_tcp_sent_bytes_total", "destination", "300.0"),
                                line("istio_tcp_connections_opened_total", "source", "1.0"),
                                line("istio_tcp_received_bytes_total", "source", "100.0"),
                                line("istio_tcp_sent_bytes_total", "source", "300.0"),
                                "ztunnel_pods 2.0",
                                "ztunnel_workloads 2.0",
                                "ztunnel_policies 1.0",
                                "ztunnel_certificates{state=\"Available\"} 2.0"));

        // denied by policy: counted as opened and closed with response_flags DENY, logged with the reason
        try (Socket denied = client.connect(server.address(7070))) {
            denied.setSoTimeout((int) WAIT.toMillis());
            assertThat(denied.getInputStream().read()).isEqualTo(-1);
        } catch (java.net.SocketException reset) {
            // a reset is as good a refusal as an end of stream
        }
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(scrape(node, metricsPort))
                        .anyMatch(l -> l.startsWith("istio_tcp_connections_closed_total{")
                                && l.contains("reporter=\"destination\"")
                                && l.contains("response_flags=\"DENY\"")
                                && l.endsWith("} 1.0")));
        assertThat(ztunnel.log()).contains("error=\"denied by policy default/deny-7070\"");

        List<String> metrics = scrape(node, metricsPort);
        metrics.stream()
                .filter(l -> l.startsWith("istio_tcp_") || l.startsWith("istio_build") || l.startsWith("ztunnel_"))
                .forEach(l -> System.out.println("scraped: " + l));
        assertThat(ztunnel.log())
                .contains("connection complete")
                .contains("src.workload=\"client\" src.namespace=\"default\"")
                .contains("direction=\"inbound\" bytes_sent=300 bytes_recv=100");

        // a long-lived connection, open while the process drains
        try (Socket open = client.connect(server.address(8080))) {
            open.setSoTimeout((int) WAIT.toMillis());
            assertThat(roundTrip(open, "before")).isEqualTo("before");
            await().atMost(WAIT)
                    .untilAsserted(() -> assertThat(httpGet(node, adminPort, "/config_dump"))
                            .contains("\"destination\" : \"" + server.ip().getHostAddress() + ":8080\"")
                            .contains("\"netns\" : \"" + client.netnsPath() + "\""));

            ztunnel.process().destroy(); // SIGTERM
            await().atMost(WAIT).untilAsserted(() -> assertThat(ztunnel.log()).contains("SIGTERM: draining"));
            assertThat(httpGet(node, readinessPort, "/healthz/ready")).startsWith("HTTP/1.1 503 ");
            assertThat(roundTrip(open, "during")).isEqualTo("during");
            assertThat(ztunnel.process().isAlive()).isTrue();
        }
        assertThat(ztunnel.process().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS))
                .as("exited; log:\n%s", ztunnel.log())
                .isTrue();
        assertThat(ztunnel.process().exitValue()).as(ztunnel.log()).isZero();
        assertThat(ztunnel.log()).contains("ztunnel stopped");
        assertThat(echo.clients()).hasSize(1);
    }

    private static String line(String metric, String reporter, String value) {
        return metric + "{" + LABELS.formatted(reporter) + "} " + value;
    }

    private <T extends AutoCloseable> T own(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    private static String localConfig(Pod client, Pod server) {
        return workload("client", client) + workload("server", server).replaceFirst("^workloads:\n", "") + """
                policies:
                - name: deny-7070
                  namespace: default
                  scope: Namespace
                  action: Deny
                  rules:
                  - - - destinationPorts: [7070]
                """;
    }

    private static String workload(String name, Pod pod) {
        return """
                workloads:
                - uid: Kubernetes//Pod/default/%1$s
                  name: %1$s
                  namespace: default
                  serviceAccount: %1$s
                  workloadIps: ["%2$s"]
                  protocol: HBONE
                  node: node1
                  workloadName: %1$s
                  canonicalName: %1$s
                  canonicalRevision: v1
                """.formatted(name, pod.ip().getHostAddress());
    }

    /** {@code java ... ZtunnelMain args}, on this test's class path, with the shipped logback.xml. */
    private static String[] command(String... args) throws URISyntaxException {
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path logback =
                Path.of(ZtunnelProcessTest.class.getResource("/logback.xml").toURI());
        List<String> command = new ArrayList<>(List.of(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow",
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                "-Dlogback.configurationFile=" + logback,
                "-cp",
                System.getProperty("java.class.path"),
                ZtunnelMain.class.getName()));
        command.addAll(List.of(args));
        return command.toArray(String[]::new);
    }

    private static Matcher awaitReadyLine(StartedProcess process) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : process.log().lines().toList()) {
                Matcher m = READY.matcher(line);
                if (m.matches()) {
                    return m;
                }
            }
            if (!process.process().isAlive()) {
                throw new AssertionError(
                        "ztunnel exited with " + process.process().exitValue() + ":\n" + process.log());
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no ready line within " + WAIT + ":\n" + process.log());
    }

    private static List<String> scrape(Node node, int port) throws Exception {
        String response = httpGet(node, port, "/stats/prometheus");
        assertThat(response).startsWith("HTTP/1.1 200 ");
        return response.lines().toList();
    }

    /** A plain HTTP/1.1 GET from inside the node's namespace (where ztunnel's ports are); the whole response. */
    private static String httpGet(NamespacedHost host, int port, String path) throws Exception {
        return host.call(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                socket.setSoTimeout(10_000);
                socket.getOutputStream()
                        .write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            }
        });
    }

    private static byte[] exchange(Pod from, InetSocketAddress to, byte[] payload) throws Exception {
        try (Socket socket = from.connect(to)) {
            socket.setSoTimeout((int) WAIT.toMillis());
            socket.getOutputStream().write(payload);
            socket.shutdownOutput();
            return socket.getInputStream().readAllBytes();
        }
    }

    private static String roundTrip(Socket socket, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        socket.getOutputStream().write(bytes);
        byte[] back = socket.getInputStream().readNBytes(bytes.length);
        return new String(back, StandardCharsets.UTF_8);
    }

    /** Reads a request to its end, then answers with it three times: different byte counts each way. */
    private static final class TripleServer implements AutoCloseable {
        private final ServerSocket listener;

        private TripleServer(ServerSocket listener) {
            this.listener = listener;
            Thread.ofPlatform().daemon().name("triple").start(this::serve);
        }

        static TripleServer startIn(Pod pod, int port) throws Exception {
            return new TripleServer(pod.call(() -> {
                ServerSocket socket = new ServerSocket();
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(port));
                return socket;
            }));
        }

        private void serve() {
            while (!listener.isClosed()) {
                try (Socket socket = listener.accept()) {
                    socket.setSoTimeout((int) WAIT.toMillis());
                    InputStream in = socket.getInputStream();
                    ByteArrayOutputStream request = new ByteArrayOutputStream();
                    in.transferTo(request);
                    OutputStream out = socket.getOutputStream();
                    for (int i = 0; i < 3; i++) {
                        out.write(request.toByteArray());
                    }
                } catch (IOException e) {
                    if (!listener.isClosed()) {
                        System.err.println("triple server: " + e);
                    }
                }
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
        }
    }
}
