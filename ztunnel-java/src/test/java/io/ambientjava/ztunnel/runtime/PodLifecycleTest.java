package io.ambientjava.ztunnel.runtime;

import static io.ambientjava.ztunnel.runtime.MeshTrafficTest.bytes;
import static io.ambientjava.ztunnel.testsupport.TestMesh.exchange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.ztunnel.certs.CertificateInfo;
import io.ambientjava.ztunnel.certs.CertificateState;
import io.ambientjava.ztunnel.inpod.PodInfo;
import io.ambientjava.ztunnel.inpod.PodState;
import io.ambientjava.ztunnel.inpod.netns.NetworkNamespace;
import io.ambientjava.ztunnel.proxy.LiveConnection;
import io.ambientjava.ztunnel.telemetry.Reporter;
import io.ambientjava.ztunnel.testsupport.InPodRedirection;
import io.ambientjava.ztunnel.testsupport.TestMesh;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Enrolling, listing, removing and draining pods, on real network namespaces. */
@RequiresRoot
@RequiresCommand({"ip", "nft"})
class PodLifecycleTest {

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.withNodes(2);

    private TestMesh mesh;
    private Pod server;

    @BeforeEach
    void setUp() throws Exception {
        mesh = new TestMesh(net);
        server = mesh.meshPod(2, "server", "default", "server");
        server.startEchoServer(8080);
    }

    @Test
    void removingAPodClosesItsConnectionsAndLeavesOtherPodsAlone() throws Exception {
        Pod client = mesh.meshPod(1, "client", "default", "client");
        Pod other = mesh.meshPod(1, "other", "default", "other");
        try (Socket removed = client.connect(server.address(8080));
                Socket kept = other.connect(server.address(8080))) {
            ping(removed, "one");
            ping(kept, "two");

            mesh.ztunnel(1).removePod(TestMesh.uid("default", "client")).get(5, TimeUnit.SECONDS);

            assertClosed(removed);
            assertThatThrownBy(() -> client.connect(server.address(8080))).isInstanceOf(IOException.class);
            ping(kept, "still there");
            assertThat(exchange(other, server.address(8080), bytes("new"))).isEqualTo(bytes("new"));
        }
        assertThat(mesh.ztunnel(1).pods()).extracting(PodInfo::uid).containsExactly(TestMesh.uid("default", "other"));
        assertThat(mesh.ztunnel(1).certificates())
                .extracting(CertificateInfo::identity)
                .containsExactly(new SpiffeId(TestMesh.TRUST_DOMAIN, "default", "other"));
        await().atMost(TestMesh.WAIT)
                .untilAsserted(() -> assertThat(mesh.observer(1).closed())
                        .filteredOn(c -> c.info().source().getAddress().equals(client.ip()))
                        .singleElement()
                        .satisfies(c -> assertThat(c.error()).isPresent()));
    }

    @Test
    void openConnectionsAreListedWithTheirPodAndByteCounts() throws Exception {
        Pod client = mesh.meshPod(1, "client", "default", "client");
        try (Socket socket = client.connect(server.address(8080))) {
            ping(socket, "four");

            await().atMost(TestMesh.WAIT).untilAsserted(() -> {
                assertThat(mesh.ztunnel(1).connections()).singleElement().satisfies(c -> {
                    assertThat(c.info().reporter()).isEqualTo(Reporter.SOURCE);
                    assertThat(c.podUid()).isEqualTo(TestMesh.uid("default", "client"));
                    assertThat(c.sentBytes()).isEqualTo(4);
                    assertThat(c.receivedBytes()).isEqualTo(4);
                });
                assertThat(mesh.ztunnel(2).connections())
                        .singleElement()
                        .extracting(LiveConnection::podUid)
                        .isEqualTo(TestMesh.uid("default", "server"));
            });
            assertThat(mesh.ztunnel(1).pods()).singleElement().satisfies(p -> {
                assertThat(p.state()).isEqualTo(PodState.RUNNING);
                assertThat(p.connections()).isEqualTo(1);
                assertThat(p.identity()).contains(new SpiffeId(TestMesh.TRUST_DOMAIN, "default", "client"));
                assertThat(p.workload()).isPresent();
            });
        }
        await().atMost(TestMesh.WAIT)
                .untilAsserted(() -> assertThat(mesh.ztunnel(1).connections()).isEmpty());
    }

    @Test
    void podsOfOneServiceAccountShareOneCertificate() throws Exception {
        mesh.meshPod(1, "web-1", "default", "web");
        mesh.meshPod(1, "web-2", "default", "web");

        assertThat(mesh.ztunnel(1).certificates()).singleElement().satisfies(cert -> {
            assertThat(cert.identity()).isEqualTo(new SpiffeId(TestMesh.TRUST_DOMAIN, "default", "web"));
            assertThat(cert.state()).isEqualTo(CertificateState.AVAILABLE);
            assertThat(cert.pods()).isEqualTo(2);
            assertThat(cert.chain()).isNotEmpty();
            assertThat(cert.notAfter()).isPresent();
        });
        assertThat(mesh.ztunnel(1).isReady()).isTrue();
    }

    @Test
    void enrollingAPodTwiceIsRefused() throws Exception {
        Pod client = mesh.meshPod(1, "client", "default", "client");

        assertThatThrownBy(() -> mesh.enroll(1, client, TestMesh.uid("default", "client")))
                .isInstanceOf(ExecutionException.class)
                .hasMessageContaining("pod Kubernetes//Pod/default/client is already enrolled (running)");
        assertThat(mesh.ztunnel(1).pods())
                .singleElement()
                .satisfies(p -> assertThat(p.state()).isEqualTo(PodState.RUNNING));
        assertThat(exchange(client, server.address(8080), bytes("fine"))).isEqualTo(bytes("fine"));
    }

    @Test
    void aPodWhosePortIsTakenIsListedAsFailedWithTheReason() throws Exception {
        Pod busy = net.node(1).addPod("busy");
        ServerSocket squatter = busy.call(() -> new ServerSocket(15001));
        try {
            assertThatThrownBy(() -> mesh.enroll(1, busy, "busy-uid"))
                    .isInstanceOf(ExecutionException.class)
                    .hasMessageContaining("pod busy-uid")
                    .hasMessageContaining("Address already in use");
            assertThat(mesh.ztunnel(1).pods()).singleElement().satisfies(p -> {
                assertThat(p.state()).isEqualTo(PodState.FAILED);
                assertThat(p.error()).hasValueSatisfying(e -> assertThat(e).contains("Address already in use"));
            });
            assertThat(mesh.ztunnel(1).isReady()).isTrue();
        } finally {
            squatter.close();
        }
        mesh.enroll(1, busy, "busy-uid");
        assertThat(mesh.ztunnel(1).pods())
                .singleElement()
                .satisfies(p -> assertThat(p.state()).isEqualTo(PodState.RUNNING));
        mesh.ztunnel(1).removePod("busy-uid").get(5, TimeUnit.SECONDS);
        assertThat(mesh.ztunnel(1).pods()).isEmpty();
    }

    @Test
    void aPodTheStoreDoesNotKnowCannotConnectOut() throws Exception {
        Pod stranger = net.node(1).addPod("stranger");
        InPodRedirection.install(stranger);
        mesh.enroll(1, stranger, "Kubernetes//Pod/default/stranger");

        assertThat(exchangeOrEmpty(stranger, server.address(8080))).isEmpty();

        await().atMost(TestMesh.WAIT)
                .untilAsserted(() -> assertThat(mesh.observer(1).refused())
                        .singleElement()
                        .satisfies(r -> assertThat(r.reason())
                                .isEqualTo("source workload Kubernetes//Pod/default/stranger is not known to the"
                                        + " workload store")));
        assertThat(mesh.ztunnel(1).pods()).singleElement().satisfies(p -> {
            assertThat(p.workload()).isEmpty();
            assertThat(p.identity()).isEmpty();
        });
    }

    @Test
    void drainingClosesListenersAndConnectionsAndRefusesNewPods() throws Exception {
        Pod client = mesh.meshPod(1, "client", "default", "client");
        assertThat(mesh.ztunnel(1).isReady()).isTrue();
        try (Socket socket = client.connect(server.address(8080))) {
            ping(socket, "drain");

            mesh.ztunnel(1).drain(java.time.Duration.ofMillis(300)).get(5, TimeUnit.SECONDS);

            assertClosed(socket);
        }
        assertThat(mesh.ztunnel(1).isReady()).isFalse();
        assertThat(mesh.ztunnel(1).pods()).isEmpty();
        Pod late = net.node(1).addPod("late");
        assertThatThrownBy(() -> mesh.ztunnel(1)
                        .addPod("late-uid", NetworkNamespace.open(late.netnsPath()))
                        .get(5, TimeUnit.SECONDS))
                .hasMessageContaining("draining or closed");
    }

    private static byte[] exchangeOrEmpty(Pod from, InetSocketAddress to) {
        try {
            return exchange(from, to, bytes("x"));
        } catch (Exception e) {
            return new byte[0];
        }
    }

    private static void ping(Socket socket, String text) throws IOException {
        socket.setSoTimeout((int) TestMesh.WAIT.toMillis());
        socket.getOutputStream().write(bytes(text));
        byte[] reply = socket.getInputStream().readNBytes(text.length());
        assertThat(reply).isEqualTo(bytes(text));
    }

    /** The peer closed (EOF) or reset the connection within the wait. */
    private static void assertClosed(Socket socket) throws IOException {
        socket.setSoTimeout((int) TestMesh.WAIT.toMillis());
        InputStream in = socket.getInputStream();
        try {
            assertThat(in.read()).isEqualTo(-1);
        } catch (java.net.SocketException reset) {
            assertThat(reset.getMessage()).containsIgnoringCase("reset");
        }
    }
}
