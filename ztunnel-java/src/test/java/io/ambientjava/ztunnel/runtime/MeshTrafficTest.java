package io.ambientjava.ztunnel.runtime;

import static io.ambientjava.ztunnel.testsupport.TestMesh.exchange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.manager.LocalCaCertificateProvider;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.EchoServer;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.ztunnel.state.PortMap;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import io.ambientjava.ztunnel.telemetry.Reporter;
import io.ambientjava.ztunnel.telemetry.SecurityPolicy;
import io.ambientjava.ztunnel.testsupport.RecordingObserver;
import io.ambientjava.ztunnel.testsupport.TestMesh;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Traffic through two in-process ztunnels, one per node, on real network namespaces. */
@RequiresRoot
@RequiresCommand({"ip", "nft"})
class MeshTrafficTest {

    private static final Duration WAIT = TestMesh.WAIT;
    private static final SpiffeId CLIENT = new SpiffeId(TestMesh.TRUST_DOMAIN, "default", "client");
    private static final SpiffeId SERVER = new SpiffeId(TestMesh.TRUST_DOMAIN, "default", "server");
    private static final InetSocketAddress VIP = new InetSocketAddress("198.19.0.10", 80);

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.withNodes(2);

    private TestMesh mesh;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(net);
    }

    @Test
    void podToPodOnOneNodeKeepsTheClientIpAndIdentity() throws Exception {
        Pod client = mesh.meshPod(1, "client", "default", "client");
        Pod server = mesh.meshPod(1, "server", "default", "server");
        EchoServer echo = server.startEchoServer(8080);

        byte[] reply = exchange(client, server.address(8080), bytes("hello"));

        assertThat(new String(reply, StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(echo.clients())
                .singleElement()
                .satisfies(c -> assertThat(c.getAddress()).isEqualTo(client.ip()));
        RecordingObserver node1 = mesh.observer(1);
        await().atMost(WAIT).untilAsserted(() -> assertThat(node1.closed()).hasSize(2));
        ConnectionInfo outbound = only(node1, Reporter.SOURCE);
        assertThat(outbound.sourceIdentity()).contains(CLIENT);
        assertThat(outbound.destinationIdentity()).contains(SERVER);
        assertThat(outbound.securityPolicy()).isEqualTo(SecurityPolicy.MUTUAL_TLS);
        assertThat(outbound.destination()).isEqualTo(server.address(8080));
        assertThat(outbound.destinationWorkload()).map(w -> w.name()).contains("server");
        ConnectionInfo inbound = only(node1, Reporter.DESTINATION);
        assertThat(inbound.sourceIdentity()).contains(CLIENT);
        assertThat(inbound.destinationIdentity()).contains(SERVER);
        assertThat(inbound.source().getAddress()).isEqualTo(client.ip());
        assertThat(inbound.sourceWorkload()).map(w -> w.name()).contains("client");
        assertThat(node1.closed()).allSatisfy(c -> {
            assertThat(c.sent()).isEqualTo(5);
            assertThat(c.received()).isEqualTo(5);
            assertThat(c.error()).isEmpty();
        });
        assertThat(node1.refused()).isEmpty();
    }

    @Test
    void withoutClientIpPreservationTheAppSeesItsOwnPodAddress() throws Exception {
        mesh = new TestMesh(
                net,
                new LocalCaCertificateProvider(TestMesh.ca()),
                config -> config.withInboundSource(InboundSourceMode.POD_ADDRESS));
        Pod client = mesh.meshPod(1, "client", "default", "client");
        Pod server = mesh.meshPod(2, "server", "default", "server");
        EchoServer echo = server.startEchoServer(8080);

        assertThat(exchange(client, server.address(8080), bytes("hi"))).isEqualTo(bytes("hi"));

        assertThat(echo.clients())
                .singleElement()
                .satisfies(c -> assertThat(c.getAddress()).isEqualTo(server.ip()));
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(mesh.observer(2).closed())
                        .singleElement()
                        .satisfies(
                                c -> assertThat(c.info().source().getAddress()).isEqualTo(client.ip())));
    }

    @Test
    void podToPodAcrossNodesGoesThroughBothZtunnels() throws Exception {
        Pod client = mesh.meshPod(1, "client", "default", "client");
        Pod server = mesh.meshPod(2, "server", "default", "server");
        EchoServer echo = server.startEchoServer(8080);

        byte[] reply = exchange(client, server.address(8080), bytes("across"));

        assertThat(new String(reply, StandardCharsets.UTF_8)).isEqualTo("across");
        assertThat(echo.clients())
                .singleElement()
                .satisfies(c -> assertThat(c.getAddress()).isEqualTo(client.ip()));
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(mesh.observer(1).closed()).hasSize(1);
            assertThat(mesh.observer(2).closed()).hasSize(1);
        });
        assertThat(only(mesh.observer(1), Reporter.SOURCE).destinationIdentity())
                .contains(SERVER);
        ConnectionInfo inbound = only(mesh.observer(2), Reporter.DESTINATION);
        assertThat(inbound.sourceIdentity()).contains(CLIENT);
        assertThat(inbound.source().getAddress()).isEqualTo(client.ip());
        assertThat(mesh.ztunnel(1).pods()).extracting(p -> p.uid()).containsExactly(TestMesh.uid("default", "client"));
        assertThat(mesh.ztunnel(2).pods()).extracting(p -> p.uid()).containsExactly(TestMesh.uid("default", "server"));
    }

    @Test
    void aServiceVipIsBalancedOverItsEndpointsOnBothNodes() throws Exception {
        Pod client = mesh.meshPod(1, "client", "default", "client");
        Pod near = mesh.meshPod(
                1,
                "echo-1",
                w -> w.service("default/echo.default.svc.cluster.local", PortMap.of(80, 8080)),
                "default",
                "echo");
        Pod far = mesh.meshPod(
                2,
                "echo-2",
                w -> w.service("default/echo.default.svc.cluster.local", PortMap.of(80, 8080)),
                "default",
                "echo");
        mesh.add(echoService().build());
        EchoServer nearEcho = near.startEchoServer(8080);
        EchoServer farEcho = far.startEchoServer(8080);

        for (int i = 0; i < 6; i++) {
            assertThat(exchange(client, VIP, bytes("call " + i))).isEqualTo(bytes("call " + i));
        }

        assertThat(nearEcho.clients())
                .hasSize(3)
                .allSatisfy(c -> assertThat(c.getAddress()).isEqualTo(client.ip()));
        assertThat(farEcho.clients())
                .hasSize(3)
                .allSatisfy(c -> assertThat(c.getAddress()).isEqualTo(client.ip()));
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(mesh.observer(1).closed()).hasSizeGreaterThanOrEqualTo(6));
        assertThat(mesh.observer(1).opened())
                .filteredOn(c -> c.reporter() == Reporter.SOURCE)
                .hasSize(6)
                .allSatisfy(c -> {
                    assertThat(c.destinationService()).map(Service::name).contains("echo");
                    assertThat(c.destination().getPort()).isEqualTo(8080);
                });
    }

    @Test
    void anEndpointThatCannotBeReachedIsSkippedForTheNextOne() throws Exception {
        Pod client = mesh.meshPod(1, "client", "default", "client");
        mesh.meshPod(
                2,
                "echo-1",
                w -> w.service("default/echo.default.svc.cluster.local", PortMap.of(80, 8080)),
                "default",
                "echo");
        Pod healthy = mesh.meshPod(
                2,
                "echo-2",
                w -> w.service("default/echo.default.svc.cluster.local", PortMap.of(80, 8080)),
                "default",
                "echo");
        mesh.add(echoService().build());
        EchoServer echo = healthy.startEchoServer(8080);

        for (int i = 0; i < 4; i++) {
            assertThat(exchange(client, VIP, bytes("retry " + i))).isEqualTo(bytes("retry " + i));
        }

        assertThat(echo.clients()).hasSize(4);
        assertThat(mesh.observer(1).refused()).isEmpty();
        assertThat(mesh.observer(2).refused())
                .isNotEmpty()
                .allSatisfy(r -> assertThat(r.reason()).contains("connecting to the app"));
    }

    @Test
    void whenEveryEndpointFailsTheClientIsResetAndTheLastErrorReported() throws Exception {
        Pod client = mesh.meshPod(1, "client", "default", "client");
        mesh.meshPod(
                2,
                "echo-1",
                w -> w.service("default/echo.default.svc.cluster.local", PortMap.of(80, 8080)),
                "default",
                "echo");
        mesh.add(echoService().build());

        byte[] reply;
        try {
            reply = exchange(client, VIP, bytes("nobody home"));
        } catch (java.io.IOException reset) {
            reply = new byte[0];
        }

        assertThat(reply).isEmpty();
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(mesh.observer(1).refused())
                        .singleElement()
                        .satisfies(r -> assertThat(r.reason())
                                .startsWith(
                                        "no further usable endpoint for service default/echo.default.svc.cluster.local"
                                                + " port 80 (last failure: CONNECT 198.18.2.2:8080 via /198.18.2.2:15008 refused"
                                                + " with 503")));
    }

    @Test
    void addressesOutsideTheMeshArePassedThroughAsPlainTcp() throws Exception {
        Pod client = mesh.meshPod(1, "client", "default", "client");
        Pod outside = mesh.outsidePod(2, "outside");
        EchoServer echo = outside.startEchoServer(8080);

        assertThat(exchange(client, outside.address(8080), bytes("plain"))).isEqualTo(bytes("plain"));

        assertThat(echo.clients())
                .singleElement()
                .satisfies(c -> assertThat(c.getAddress()).isEqualTo(client.ip()));
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(mesh.observer(1).closed()).hasSize(1));
        RecordingObserver.Closed closed = mesh.observer(1).closed().getFirst();
        assertThat(closed.info().reporter()).isEqualTo(Reporter.SOURCE);
        assertThat(closed.info().securityPolicy()).isEqualTo(SecurityPolicy.NONE);
        assertThat(closed.info().destinationWorkload()).isEmpty();
        assertThat(closed.info().destination()).isEqualTo(outside.address(8080));
        assertThat(closed.sent()).isEqualTo(5);
        assertThat(closed.received()).isEqualTo(5);
    }

    @Test
    void twoHundredConcurrentConnectionsCarryTheirBytesIntact() throws Exception {
        int connections = 200;
        int size = 32 * 1024;
        Pod client = mesh.meshPod(1, "client", "default", "client");
        Pod near = mesh.meshPod(
                1,
                "echo-1",
                w -> w.service("default/echo.default.svc.cluster.local", PortMap.of(80, 8080)),
                "default",
                "echo");
        Pod far = mesh.meshPod(
                2,
                "echo-2",
                w -> w.service("default/echo.default.svc.cluster.local", PortMap.of(80, 8080)),
                "default",
                "echo");
        mesh.add(echoService().build());
        EchoServer nearEcho = near.startEchoServer(8080);
        EchoServer farEcho = far.startEchoServer(8080);
        List<Socket> sockets = client.call(() -> {
            List<Socket> opened = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                Socket socket = new Socket();
                socket.connect(VIP, 5_000);
                socket.setSoTimeout(30_000);
                opened.add(socket);
            }
            return opened;
        });
        List<Future<Boolean>> results = new ArrayList<>();
        try (ExecutorService io = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < connections; i++) {
                Socket socket = sockets.get(i);
                byte[] payload = new byte[size];
                new Random(i).nextBytes(payload);
                results.add(io.submit(() -> roundTripIntact(socket, payload)));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get(60, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }

        assertThat(nearEcho.clients().size() + farEcho.clients().size()).isEqualTo(connections);
        assertThat(nearEcho.clients()).isNotEmpty();
        assertThat(farEcho.clients()).isNotEmpty();
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(mesh.observer(1).closed())
                        .filteredOn(c -> c.info().reporter() == Reporter.SOURCE)
                        .hasSize(connections)
                        .allSatisfy(c -> {
                            assertThat(c.sent()).isEqualTo(size);
                            assertThat(c.received()).isEqualTo(size);
                        }));
    }

    /** Writes {@code payload} while reading the echo, then compares digests. */
    private static boolean roundTripIntact(Socket socket, byte[] payload) throws Exception {
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                OutputStream out = socket.getOutputStream();
                out.write(payload);
                socket.shutdownOutput();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        InputStream in = socket.getInputStream();
        byte[] echoed = TestMesh.readAll(in);
        writer.join();
        return echoed.length == payload.length && Arrays.equals(sha256(echoed), sha256(payload));
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    static Service.Builder echoService() {
        return Service.builder("default", "echo.default.svc.cluster.local")
                .name("echo")
                .vips("/198.19.0.10")
                .ports(PortMap.of(80, 8080));
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static ConnectionInfo only(RecordingObserver observer, Reporter reporter) {
        return observer.opened().stream()
                .filter(c -> c.reporter() == reporter)
                .reduce((a, b) -> {
                    throw new AssertionError("more than one " + reporter + " connection: " + a + ", " + b);
                })
                .orElseThrow(() -> new AssertionError("no " + reporter + " connection in " + observer.opened()));
    }
}
