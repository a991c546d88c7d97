package io.ambientjava.ztunnel.inpod.statemanager;

import static io.ambientjava.ztunnel.inpod.statemanager.ZdsEnrollmentTest.QUICK;
import static io.ambientjava.ztunnel.inpod.statemanager.ZdsEnrollmentTest.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.api.zds.WorkloadInfo;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.manager.LocalCaCertificateProvider;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.zds.ZdsServer;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntime;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntimeConfig;
import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import io.ambientjava.ztunnel.telemetry.Reporter;
import io.ambientjava.ztunnel.telemetry.SecurityPolicy;
import io.ambientjava.ztunnel.testsupport.InPodRedirection;
import io.ambientjava.ztunnel.testsupport.RecordingObserver;
import io.ambientjava.ztunnel.testsupport.TestMesh;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end with ZDS: two nodes, each with a node agent ({@link ZdsServer}) and a ztunnel runtime that takes its
 * pods only from that agent; pods redirected in-pod by nftables. A client pod's plain TCP to a server pod on the
 * other node goes through both ztunnels over HBONE, and the server side sees the client's mTLS identity. Restarts
 * of either ztunnel or agent are measured by how long traffic fails.
 */
@RequiresRoot
@RequiresCommand({"ip", "nft"})
@Timeout(90)
class ZdsMeshTrafficTest {

    private static final SpiffeId CLIENT = new SpiffeId(TestMesh.TRUST_DOMAIN, "default", "client");
    private static final SpiffeId SERVER = new SpiffeId(TestMesh.TRUST_DOMAIN, "default", "server");

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.withNodes(2);

    @TempDir
    Path dir;

    private final TestMesh mesh = new TestMesh(net);
    private final Map<Integer, ZtunnelRuntime> ztunnels = new HashMap<>();
    private final Map<Integer, ZdsPodSource> sources = new HashMap<>();
    private final Map<Integer, RecordingObserver> observers = new HashMap<>();
    private final Map<Integer, ZdsServer> agents = new HashMap<>();
    private Pod client;
    private Pod server;

    @BeforeEach
    void setUp() throws Exception {
        for (int node : new int[] {1, 2}) {
            agents.put(node, startAgent(node));
            startZtunnel(node);
        }
        client = meshPod(1, "client");
        server = meshPod(2, "server");
        server.startEchoServer(8080);
    }

    private Path socket(int node) {
        return dir.resolve("node" + node + "/ztunnel.sock");
    }

    private ZdsServer startAgent(int node) throws Exception {
        return net.onTeardown(ZdsServer.start(socket(node), new ZdsServer.Settings(WAIT, WAIT)));
    }

    private void startZtunnel(int node) {
        RecordingObserver observer = new RecordingObserver();
        ZtunnelRuntime runtime = net.onTeardown(ZtunnelRuntime.start(ZtunnelRuntimeConfig.of(
                        "node" + node,
                        TestMesh.TRUST_DOMAIN,
                        mesh.store(),
                        new LocalCaCertificateProvider(TestMesh.ca()),
                        observer)
                .withDrainTimeout(Duration.ofMillis(300))
                .withConnectTimeout(Duration.ofSeconds(3))));
        observers.put(node, observer);
        ztunnels.put(node, runtime);
        sources.put(node, net.onTeardown(ZdsPodSource.start(socket(node), runtime, Duration.ofSeconds(4), QUICK)));
    }

    private void stopZtunnel(int node) {
        sources.remove(node).close();
        ztunnels.remove(node).close();
    }

    /** A pod as the node agent sets one up: redirection in its netns, its workload known, enrolled over ZDS. */
    private Pod meshPod(int node, String name) throws Exception {
        Pod pod = net.node(node).addPod(name);
        InPodRedirection.install(pod);
        mesh.store().upsert(TestMesh.workload(pod, "default", name).build());
        agents.get(node)
                .addPod(TestMesh.uid("default", name), info(name), pod.netnsPath())
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return pod;
    }

    private static WorkloadInfo info(String name) {
        return WorkloadInfo.newBuilder()
                .setName(name)
                .setNamespace("default")
                .setServiceAccount(name)
                .build();
    }

    private byte[] hello() throws Exception {
        return TestMesh.exchange(client, server.address(8080), "hello".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void plainTcpBetweenPodsEnrolledOverZdsIsMutualTlsWithTheClientsIdentity() throws Exception {
        assertThat(new String(hello(), StandardCharsets.UTF_8)).isEqualTo("hello");

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(observers.get(1).opened()).anyMatch(c -> c.reporter() == Reporter.SOURCE);
            assertThat(observers.get(2).opened()).anyMatch(c -> c.reporter() == Reporter.DESTINATION);
        });
        ConnectionInfo inbound = observers.get(2).opened().stream()
                .filter(c -> c.reporter() == Reporter.DESTINATION)
                .findFirst()
                .orElseThrow();
        assertThat(inbound.sourceIdentity()).contains(CLIENT);
        assertThat(inbound.destinationIdentity()).contains(SERVER);
        assertThat(inbound.securityPolicy()).isEqualTo(SecurityPolicy.MUTUAL_TLS);
        assertThat(inbound.source().getAddress()).isEqualTo(client.ip());
    }

    @Test
    void trafficRecoversAfterZtunnelRestartsAndSurvivesAnAgentRestart() throws Exception {
        assertThat(hello()).hasSize(5);

        long clientSideGap = restartAndMeasure(1);
        long serverSideGap = restartAndMeasure(2);
        System.out.printf(
                "ZDS ztunnel restart, new runtime start to first successful pod-to-pod request: client node %d ms,"
                        + " server node %d ms%n",
                clientSideGap, serverSideGap);

        // An agent restart replays the pods; the running pods and their open connections stay.
        try (Socket open = client.connect(server.address(8080))) {
            open.setSoTimeout((int) WAIT.toMillis());
            ping(open, "before");
            agents.remove(1).close();
            agents.put(1, startAgent(1));
            agents.get(1).addPod(TestMesh.uid("default", "client"), info("client"), client.netnsPath());
            await().atMost(WAIT).until(() -> agents.get(1).ztunnelConnected());
            ping(open, "after");
        }
        assertThat(ztunnels.get(1).pods())
                .singleElement()
                .satisfies(p -> assertThat(p.uid()).isEqualTo(TestMesh.uid("default", "client")));
        assertThat(hello()).hasSize(5);
    }

    /** Stops node {@code node}'s ztunnel, starts a new one, and returns ms from that start until traffic flows. */
    private long restartAndMeasure(int node) {
        stopZtunnel(node);
        long start = System.nanoTime();
        startZtunnel(node);
        await().atMost(WAIT)
                .pollInterval(Duration.ofMillis(5))
                .ignoreExceptions()
                .until(() -> hello().length == 5);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private static void ping(Socket socket, String text) throws Exception {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        socket.getOutputStream().write(bytes);
        assertThat(socket.getInputStream().readNBytes(bytes.length)).isEqualTo(bytes);
    }
}
