package io.ambientjava.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.cni.agent.NodeAgentServer;
import io.ambientjava.cni.runtime.CniCallException;
import io.ambientjava.cni.runtime.CniNode;
import io.ambientjava.cni.runtime.CniRuntime;
import io.ambientjava.cni.runtime.MeshRedirection;
import io.ambientjava.cni.runtime.PodSockets;
import io.ambientjava.cni.runtime.Sandbox;
import io.ambientjava.cni.runtime.ZtunnelJar;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole node: pods made by the CNI runtime (bridge + host-local, our plugin chained by the installer), the
 * node agent in-process (real redirection, pod state from a YAML folder), and ztunnel-java's jar as its own process
 * taking pods over ZDS. Plain TCP between two enrolled pods goes through ztunnel as HBONE mTLS, and the server
 * side's ztunnel reports the client's SPIFFE identity.
 *
 * <p>The same scenarios run once per redirection mode: each subclass names its {@link MeshRedirection}
 * ({@link MeshThroughZtunnelIT} nftables, {@link EbpfMeshThroughZtunnelIT} ebpf). What differs is only how a
 * test sees that a pod is (or no longer is) redirected; in both the server app sees the client's address.
 */
@RequiresRoot
@RequiresCommand({"nft", "ip", "nsenter", "ss"})
@Timeout(180)
abstract class MeshThroughZtunnelScenarios {
    private static final String TRUST_DOMAIN = "cluster.local";
    private static final int SERVER_PORT = 8080;
    private static final int BULK_PORT = 9090;

    @TempDir
    static Path installDir;

    @TempDir
    Path dir;

    private static Path jar;
    private static CniNode node;
    private final MeshRedirection redirection;
    private CniRuntime runtime;
    private NodeAgentServer agent;
    private ZtunnelJar ztunnel;
    private final List<Sandbox> sandboxes = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Map<String, String> ips = new ConcurrentHashMap<>();
    private Sandbox client;
    private Sandbox server;
    private String serverIp;

    MeshThroughZtunnelScenarios(MeshRedirection redirection) {
        this.redirection = redirection;
    }

    @BeforeAll
    static void installOnTheNode() throws Exception {
        jar = ZtunnelJar.assumeJar();
        CniNode.assumeReferencePlugins();
        node = CniNode.create(installDir);
        node.install(agentSocket(), true);
    }

    @AfterAll
    static void removeTheNode() {
        if (node != null) {
            node.close();
        }
    }

    /** Fixed for the class: the installed conflist names it. */
    private static Path agentSocket() {
        return installDir.resolve("agent.sock");
    }

    @BeforeEach
    void startNode() throws Exception {
        Path pods = Files.createDirectories(dir.resolve("pod-state"));
        Files.writeString(pods.resolve("mesh.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata: {name: mesh, labels: {istio.io/dataplane-mode: ambient}}
                ---
                apiVersion: v1
                kind: Namespace
                metadata: {name: plain}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: client, namespace: mesh}
                spec: {serviceAccountName: client-sa}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: server, namespace: mesh}
                spec: {serviceAccountName: server-sa}
                """);
        Files.createDirectories(dir.resolve("ca"));
        Files.writeString(localConfig(), "workloads: []\n");
        redirection.setUp();
        agent = startAgent();
        ztunnel = startZtunnel("ztunnel-1.log");
        runtime = node.runtime();
        client = add("mesh", "client");
        server = add("mesh", "server");
        serverIp = ipOf(server);
        writeWorkloads(List.of(client, server));
        resources.add(PodSockets.startReplyServer(server.netns(), SERVER_PORT));
    }

    @AfterEach
    void stopNode() throws Exception {
        for (Sandbox sandbox : sandboxes) {
            try {
                runtime.del(sandbox);
            } catch (CniCallException | RuntimeException e) {
                // Deleted by the test already.
            }
        }
        for (AutoCloseable resource : resources.reversed()) {
            resource.close();
        }
        if (ztunnel != null) {
            ztunnel.close();
        }
        if (agent != null) {
            agent.close();
        }
        try {
            redirection.close();
        } finally {
            for (Sandbox sandbox : sandboxes) {
                node.deleteSandbox(sandbox);
            }
        }
    }

    private Path localConfig() {
        return dir.resolve("ztunnel-local.yaml");
    }

    private NodeAgentServer startAgent() throws IOException {
        return NodeAgentServer.start(
                new NodeAgentServer.Settings(
                        dir.resolve("ztunnel.sock"),
                        agentSocket(),
                        Optional.of(dir.resolve("pod-state")),
                        Duration.ofMillis(200),
                        Optional.of(dir.resolve("known-pods.json")),
                        Duration.ofSeconds(10)),
                redirection.startRedirector());
    }

    private void stopAgent() throws IOException {
        agent.close();
        agent = null;
        redirection.stopRedirector();
    }

    private ZtunnelJar startZtunnel(String log) throws Exception {
        return ZtunnelJar.start(
                jar,
                dir.resolve("ztunnel.sock"),
                localConfig(),
                dir.resolve("ca"),
                dir.resolve(log),
                redirection.ztunnelOptions());
    }

    /** ztunnel-java finds a pod's workload by uid, so the pod uid is the workload's (Kubernetes//Pod/ns/name). */
    private Sandbox add(String namespace, String name) throws Exception {
        Sandbox sandbox = node.newSandbox(namespace, name, "Kubernetes//Pod/" + namespace + "/" + name);
        sandboxes.add(sandbox);
        CniRuntime.AddResult added = runtime.add(sandbox);
        ips.put(sandbox.uid(), added.podIp());
        return sandbox;
    }

    private String ipOf(Sandbox sandbox) {
        return ips.get(sandbox.uid());
    }

    private void writeWorkloads(List<Sandbox> pods) throws IOException {
        StringBuilder yaml = new StringBuilder("workloads:\n");
        for (Sandbox pod : pods) {
            yaml.append("""
                    - uid: %s
                      name: %s
                      namespace: %s
                      serviceAccount: %s-sa
                      workloadIps: ["%s"]
                      protocol: HBONE
                      node: node1
                    """.formatted(pod.uid(), pod.name(), pod.namespace(), pod.name(), ipOf(pod)));
        }
        Path temp = dir.resolve(".ztunnel-local.yaml.tmp");
        Files.writeString(temp, yaml);
        Files.move(temp, localConfig(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private String ask(String line) throws Exception {
        try (SocketChannel channel =
                PodSockets.connect(client.netns(), new InetSocketAddress(serverIp, SERVER_PORT), 3000)) {
            return PodSockets.ask(channel, line);
        }
    }

    /** The client address the server app sees, in both modes: the client's own. */
    private String sourceSeenByServer() {
        return ipOf(client);
    }

    private String principal(String serviceAccount) {
        return "spiffe://" + TRUST_DOMAIN + "/ns/mesh/sa/" + serviceAccount;
    }

    private static boolean listening(Sandbox pod, int port) {
        return CniNode.exec(pod.netns(), "ss", "-Hltn", "sport", "= :" + port)
                .stdout()
                .contains(":" + port);
    }

    @Test
    void enrolledPodToEnrolledPodGoesThroughZtunnelWithTheClientsIdentity() throws Exception {
        await().atMost(20, TimeUnit.SECONDS)
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(ask("hello")).isEqualTo("hello from " + sourceSeenByServer()));

        await().atMost(10, TimeUnit.SECONDS)
                .untilAsserted(() -> assertThat(ztunnel.metrics().lines())
                        .as("the server side's ztunnel saw an mTLS connection from the client's identity")
                        .anyMatch(line -> line.startsWith("istio_tcp_connections_opened_total{")
                                && line.contains("reporter=\"destination\"")
                                && line.contains("source_principal=\"" + principal("client-sa") + "\"")
                                && line.contains("destination_principal=\"" + principal("server-sa") + "\"")
                                && line.contains("connection_security_policy=\"mutual_tls\"")));
        await().atMost(10, TimeUnit.SECONDS)
                .untilAsserted(() -> assertThat(ztunnel.log().lines())
                        .as("ztunnel's access log records the inbound connection from the client's address")
                        .anyMatch(line -> line.contains("connection complete")
                                && line.contains("direction=\"inbound\"")
                                && line.contains(" src.addr=" + ipOf(client) + ":")));
        assertThat(listening(server, 15008))
                .as("ztunnel's HBONE listener inside the server pod")
                .isTrue();
        redirection.assertRedirected(client);
        redirection.assertRedirected(server);
    }

    @Test
    void deletingAPodRemovesItsRulesAndZtunnelsListeners() throws Exception {
        await().atMost(10, TimeUnit.SECONDS).until(() -> listening(server, 15008));
        redirection.assertRedirected(server);

        runtime.del(server);

        await().atMost(10, TimeUnit.SECONDS).until(() -> !listening(server, 15008));
        redirection.assertNothingLeftFor(server);
        redirection.assertRedirected(client);
        assertThat(agent.agent().knownPods()).extracting(p -> p.uid()).containsExactly(client.uid());
    }

    @Test
    void agentRestartLeavesFlowingTrafficAlone() throws Exception {
        await().atMost(20, TimeUnit.SECONDS)
                .ignoreExceptions()
                .until(() -> ask("warm-up").startsWith("warm-up"));
        try (SocketChannel open =
                PodSockets.connect(client.netns(), new InetSocketAddress(serverIp, SERVER_PORT), 3000)) {
            assertThat(PodSockets.ask(open, "before")).isEqualTo("before from " + sourceSeenByServer());

            stopAgent();
            assertThat(PodSockets.ask(open, "while the agent is down")).startsWith("while the agent is down");
            agent = startAgent();

            assertThat(agent.restored().kept()).containsExactlyInAnyOrder(client.uid(), server.uid());
            await().atMost(10, TimeUnit.SECONDS).until(() -> agent.zds().ztunnelConnected());
            assertThat(PodSockets.ask(open, "after")).isEqualTo("after from " + sourceSeenByServer());
        }
        assertThat(ask("new")).isEqualTo("new from " + sourceSeenByServer());
    }

    @Test
    void newConnectionsWorkAgainAfterZtunnelRestarts() throws Exception {
        await().atMost(20, TimeUnit.SECONDS)
                .ignoreExceptions()
                .until(() -> ask("warm-up").startsWith("warm-up"));

        long killed = System.nanoTime();
        ztunnel.kill();
        long started = System.nanoTime();
        ztunnel = startZtunnel("ztunnel-2.log");
        long ready = System.nanoTime();
        await().atMost(30, TimeUnit.SECONDS)
                .pollInterval(Duration.ofMillis(20))
                .ignoreExceptions()
                .until(() -> ask("again").startsWith("again from " + sourceSeenByServer()));
        long flowing = System.nanoTime();

        System.out.printf(
                "ztunnel restart gap: kill to first new pod-to-pod connection %d ms (new JVM start to 'ready' %d ms,"
                        + " 'ready' to traffic %d ms)%n",
                TimeUnit.NANOSECONDS.toMillis(flowing - killed),
                TimeUnit.NANOSECONDS.toMillis(ready - started),
                TimeUnit.NANOSECONDS.toMillis(flowing - ready));
        assertThat(agent.zds().ztunnelConnected()).isTrue();
    }

    /** Several connections at once, each carrying megabytes: every byte arrives, every connection completes. */
    @Test
    void concurrentBulkConnectionsAllGetThrough() throws Exception {
        await().atMost(20, TimeUnit.SECONDS)
                .ignoreExceptions()
                .until(() -> ask("warm-up").startsWith("warm-up"));
        int connections = 4;
        int bytesEach = 4 * 1024 * 1024;
        resources.add(PodSockets.startCountingServer(server.netns(), BULK_PORT));

        List<CompletableFuture<String>> answers = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            answers.add(CompletableFuture.supplyAsync(
                    () -> {
                        try (SocketChannel channel = PodSockets.connect(
                                client.netns(), new InetSocketAddress(serverIp, BULK_PORT), 20_000)) {
                            return PodSockets.sendAndCount(channel, bytesEach);
                        } catch (Exception e) {
                            throw new CompletionException(e);
                        }
                    },
                    runnable -> Thread.ofVirtual().start(runnable)));
        }
        for (CompletableFuture<String> answer : answers) {
            assertThat(answer.get(60, TimeUnit.SECONDS))
                    .as("bytes the server counted on one of %d concurrent connections", connections)
                    .isEqualTo(Integer.toString(bytesEach));
        }
    }

    @Test
    void podOutsideTheMeshTalksToAnotherOutsidePodDirectly() throws Exception {
        Sandbox plainClient = add("plain", "legacy-client");
        Sandbox plainServer = add("plain", "legacy-server");
        try (ServerSocketChannel ignored = PodSockets.startReplyServer(plainServer.netns(), SERVER_PORT);
                SocketChannel channel = PodSockets.connect(
                        plainClient.netns(), new InetSocketAddress(ipOf(plainServer), SERVER_PORT), 3000)) {
            assertThat(PodSockets.ask(channel, "direct")).isEqualTo("direct from " + ipOf(plainClient));
        }
        redirection.assertNothingLeftFor(plainClient);
        redirection.assertNothingLeftFor(plainServer);
        assertThat(listening(plainClient, 15001)).isFalse();
    }
}
