package io.ambientjava.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * eBPF redirection against the real kernel, in network namespaces. The cgroup programs are attached to a
 * cgroup made for the test, which holds this JVM meanwhile (production attaches at the cgroup v2 root); the
 * pins go to a directory of their own under /sys/fs/bpf and are removed afterwards.
 */
@RequiresRoot
@RequiresCommand({"ip"})
class EbpfRedirectionTest {
    private static final int MARK = TcpSockets.ZTUNNEL_MARK;
    /** Where ztunnel listens for outbound in each pod (all addresses, like ztunnel). */
    private static final InetSocketAddress OUTBOUND = new InetSocketAddress("0.0.0.0", 15001);

    private static final InetSocketAddress SOMEWHERE = new InetSocketAddress("198.18.7.9", 80);

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.singleNode();

    private final List<Integer> fds = new ArrayList<>();
    private int peerApp = -1;
    private TestCgroup cgroup;
    private Path pinRoot;
    private EbpfRedirection redirection;

    @BeforeEach
    void install() throws Exception {
        sweepStalePins();
        cgroup = TestCgroup.enter();
        pinRoot = Path.of(
                "/sys/fs/bpf/ambient-test-" + UUID.randomUUID().toString().substring(0, 8));
        redirection = EbpfRedirection.install(pinRoot, cgroup.path());
    }

    @AfterEach
    void cleanUp() throws Exception {
        fds.forEach(TcpSockets::close);
        try {
            EbpfRedirection.uninstall(pinRoot);
        } finally {
            cgroup.close();
        }
    }

    @Test
    void enrolledPodsConnectLandsOnZtunnelWhichGetsTheOriginalDestination() throws Exception {
        Pod a = net.addPod("a");
        redirection.enroll(a.netnsPath());
        int ztunnel = track(a.call(() -> TcpSockets.listen(OUTBOUND, MARK)));
        int app = track(a.call(() -> TcpSockets.socket(0)));

        TcpSockets.connect(app, SOMEWHERE);
        int accepted = track(TcpSockets.accept(ztunnel));

        assertThat(TcpSockets.originalDestination(accepted)).isEqualTo(SOMEWHERE);
        assertThat(TcpSockets.peerAddress(app))
                .as("the app sees the peer it asked for")
                .isEqualTo(SOMEWHERE);
        assertThat(TcpSockets.peerAddress(accepted))
                .as("ztunnel sees the app's pod address as the source, as with nftables")
                .isEqualTo(TcpSockets.localAddress(app))
                .extracting(InetSocketAddress::getAddress)
                .isEqualTo(a.ip());
        TcpSockets.write(app, "ping");
        assertThat(TcpSockets.read(accepted, 4)).isEqualTo("ping");
        TcpSockets.write(accepted, "pong");
        assertThat(TcpSockets.read(app, 4)).isEqualTo("pong");
        assertThat(redirection.fastPathSockets())
                .as("both ends paired for the sk_msg fast path (attached only on request)")
                .isEqualTo(2);
    }

    @Test
    void javaDualStackSocketsAreRedirectedToo() throws Exception {
        Pod a = net.addPod("a");
        redirection.enroll(a.netnsPath());
        int ztunnel = track(a.call(() -> TcpSockets.listen(OUTBOUND, MARK)));

        // java.net.Socket is AF_INET6 here: its IPv4 connect goes through cgroup/connect6 as ::ffff:198.18.7.9.
        try (Socket app = a.connect(SOMEWHERE)) {
            int accepted = track(TcpSockets.accept(ztunnel));

            assertThat(TcpSockets.originalDestination(accepted)).isEqualTo(SOMEWHERE);
            assertThat(TcpSockets.peerAddress(accepted).getAddress()).isEqualTo(a.ip());
            app.getOutputStream().write("dual".getBytes(StandardCharsets.UTF_8));
            assertThat(TcpSockets.read(accepted, 4)).isEqualTo("dual");
        }
    }

    @Test
    void ztunnelsMarkedSocketsAndThePodTalkingToItselfAreNotRewritten() throws Exception {
        Pod a = net.addPod("a");
        Pod peer = startPeer();
        redirection.enroll(a.netnsPath());
        track(a.call(() -> TcpSockets.listen(OUTBOUND, MARK)));
        int ownApp = track(a.call(() -> TcpSockets.listen(a.address(8080), 0)));

        int marked = track(a.call(() -> TcpSockets.socket(MARK)));
        TcpSockets.connect(marked, peer.address(8080));
        assertThat(TcpSockets.localAddress(marked).getAddress()).isEqualTo(a.ip());
        assertThat(TcpSockets.peerAddress(marked)).isEqualTo(peer.address(8080));

        int toItself = track(a.call(() -> TcpSockets.socket(0)));
        TcpSockets.connect(toItself, a.address(8080));
        int accepted = track(TcpSockets.accept(ownApp));
        assertThat(TcpSockets.localAddress(accepted)).isEqualTo(a.address(8080));
    }

    @Test
    void podsNotEnrolledAreUntouchedAndUnenrollingStopsRedirection() throws Exception {
        Pod a = net.addPod("a");
        Pod b = net.addPod("b");
        Pod peer = startPeer();
        PodNetns enrolled = redirection.enroll(a.netnsPath());
        assertThat(redirection.enrolledCookies()).containsExactly(enrolled.cookie());
        assertThat(enrolled.addresses()).containsExactly(a.ip());

        assertThat(landsOnZtunnel(b, peer)).as("pod b is not enrolled").isFalse();
        assertThat(landsOnZtunnel(a, peer)).as("pod a is enrolled").isTrue();

        redirection.unenroll(a.netnsPath());

        assertThat(redirection.enrolledCookies()).isEmpty();
        assertThat(Files.exists(redirection.pins().podLink(enrolled.cookie()))).isFalse();
        assertThat(landsOnZtunnel(a, peer)).as("pod a after unenroll").isFalse();
    }

    @Test
    void inboundConnectionsAreSteeredToZtunnelsListenerExceptHbone() throws Exception {
        Pod a = net.addPod("a");
        Pod b = net.addPod("b");
        PodNetns pod = redirection.enroll(a.netnsPath());
        int inbound = track(a.call(() -> TcpSockets.listen(new InetSocketAddress("0.0.0.0", 15006), MARK)));
        int hbone = track(a.call(() -> TcpSockets.listen(new InetSocketAddress("0.0.0.0", 15008), MARK)));
        int appServer = track(a.call(() -> TcpSockets.listen(new InetSocketAddress("0.0.0.0", 8080), 0)));
        assertThat(redirection.hasInboundListener(pod.cookie()))
                .as("ztunnel's listen() on 15006 registered it")
                .isTrue();

        int client = track(b.call(() -> TcpSockets.socket(0)));
        TcpSockets.connect(client, a.address(8080));
        int steered = track(TcpSockets.accept(inbound));
        assertThat(TcpSockets.localAddress(steered)).isEqualTo(a.address(8080));
        assertThat(TcpSockets.originalDestination(steered)).isEqualTo(a.address(8080));
        assertThat(TcpSockets.peerAddress(steered)).isEqualTo(TcpSockets.localAddress(client));

        int tunnelClient = track(b.call(() -> TcpSockets.socket(0)));
        TcpSockets.connect(tunnelClient, a.address(15008));
        track(TcpSockets.accept(hbone));

        // ztunnel delivering to the app from inside the pod (over lo) is left alone.
        int delivery = track(a.call(() -> TcpSockets.socket(MARK)));
        TcpSockets.connect(delivery, a.address(8080));
        int delivered = track(TcpSockets.accept(appServer));
        assertThat(TcpSockets.localAddress(delivered)).isEqualTo(a.address(8080));
    }

    @Test
    void ztunnelDeliveringFromTheClientsAddressReachesTheAppWhichSeesTheClient() throws Exception {
        Pod a = net.addPod("a");
        redirection.enroll(a.netnsPath());
        int appServer = track(a.call(() -> TcpSockets.listen(new InetSocketAddress("0.0.0.0", 8080), 0)));
        InetAddress client = InetAddress.getByName("198.18.44.7");

        // As ztunnel delivers with nftables redirection: IP_TRANSPARENT, bound to the client's address.
        int delivery = track(a.call(() -> TcpSockets.socket(MARK)));
        TcpSockets.bindTransparent(delivery, client);
        TcpSockets.connect(delivery, a.address(8080));
        int accepted = track(TcpSockets.accept(appServer));

        assertThat(TcpSockets.localAddress(delivery).getAddress())
                .as("the bind moved to the pod's own address: replies stay in the pod")
                .isEqualTo(a.ip());
        assertThat(TcpSockets.peerAddress(accepted))
                .as("the app sees the client, on ztunnel's port as with a transparent socket")
                .isEqualTo(new InetSocketAddress(
                        client, TcpSockets.localAddress(delivery).getPort()));
        TcpSockets.write(delivery, "hello");
        assertThat(TcpSockets.read(accepted, 5)).isEqualTo("hello");
        TcpSockets.write(accepted, "hi");
        assertThat(TcpSockets.read(delivery, 2)).isEqualTo("hi");

        // A Java app (dual-stack socket) learns the client from accept() too.
        try (ServerSocket javaApp = a.call(() -> new ServerSocket(8081))) {
            int second = track(a.call(() -> TcpSockets.socket(MARK)));
            TcpSockets.bindTransparent(second, client);
            TcpSockets.connect(second, a.address(8081));
            try (Socket fromZtunnel = javaApp.accept()) {
                assertThat(fromZtunnel.getInetAddress()).isEqualTo(client);
                assertThat(fromZtunnel.getRemoteSocketAddress())
                        .isEqualTo(new InetSocketAddress(
                                client, TcpSockets.localAddress(second).getPort()));
            }
        }
    }

    @Test
    void onlyZtunnelsBindsToForeignAddressesAreMoved() throws Exception {
        Pod a = net.addPod("a");
        redirection.enroll(a.netnsPath());
        InetAddress foreign = InetAddress.getByName("198.18.44.7");

        int unmarked = track(a.call(() -> TcpSockets.socket(0)));
        assertThatThrownBy(() -> TcpSockets.bind(unmarked, new InetSocketAddress(foreign, 0)))
                .as("an app binding to an address it does not have")
                .hasMessageContaining("errno 99"); // EADDRNOTAVAIL
        int own = track(a.call(() -> TcpSockets.socket(MARK)));
        TcpSockets.bind(own, a.address(0));
        assertThat(TcpSockets.localAddress(own).getAddress()).isEqualTo(a.ip());
    }

    @Test
    void inboundIsRefusedNotLetPastZtunnelWhileZtunnelHasNoListener() throws Exception {
        Pod a = net.addPod("a");
        Pod b = net.addPod("b");
        redirection.enroll(a.netnsPath());
        track(a.call(() -> TcpSockets.listen(new InetSocketAddress("0.0.0.0", 8080), 0)));

        int client = track(b.call(() -> TcpSockets.socket(0)));
        assertThatThrownBy(() -> TcpSockets.connect(client, a.address(8080)))
                .hasMessageContaining("errno 111"); // ECONNREFUSED
    }

    @Test
    void pinsOutliveTheLoaderAndAreReattached() throws Exception {
        Pod a = net.addPod("a");
        Pod peer = startPeer();
        redirection.enroll(a.netnsPath());
        redirection.close();

        assertThat(EbpfRedirection.isInstalled(pinRoot)).isTrue();
        assertThat(landsOnZtunnel(a, peer))
                .as("still redirected with no process holding the objects")
                .isTrue();

        try (EbpfRedirection again = EbpfRedirection.reattach(pinRoot)) {
            Pod b = net.addPod("b");
            again.enroll(b.netnsPath());
            assertThat(again.enrolledCookies()).hasSize(2);
            assertThat(landsOnZtunnel(b, peer)).isTrue();
        }
        try (EbpfRedirection reinstalled = EbpfRedirection.install(pinRoot, cgroup.path())) {
            assertThat(reinstalled.enrolledCookies())
                    .as("install reuses the pins")
                    .hasSize(2);
        }
    }

    @Test
    void uninstallRemovesEveryPinAndDetaches() throws Exception {
        Pod a = net.addPod("a");
        Pod peer = startPeer();
        redirection.enroll(a.netnsPath());
        assertThat(landsOnZtunnel(a, peer)).isTrue();

        redirection.uninstall();

        assertThat(Files.exists(pinRoot)).isFalse();
        assertThat(EbpfRedirection.isInstalled(pinRoot)).isFalse();
        assertThat(landsOnZtunnel(a, peer)).as("after uninstall").isFalse();
        assertThatThrownBy(() -> EbpfRedirection.reattach(pinRoot))
                .isInstanceOf(BpfException.class)
                .hasMessageContaining("no complete eBPF redirection is pinned under " + pinRoot);
    }

    @Test
    void aKernelLackingAFeatureStopsInstallBeforeAnythingIsPinned() {
        Path elsewhere = Path.of(pinRoot + "-missing");
        List<KernelFeature> required =
                List.of(KernelFeature.program("sock_ops", 13), KernelFeature.program("from-the-future", 4242));

        assertThatThrownBy(() -> EbpfRedirection.install(elsewhere, cgroup.path(), required, false))
                .isInstanceOf(MissingKernelFeatureException.class)
                .hasMessageContaining("the kernel lacks what eBPF redirection needs: program type from-the-future");
        assertThat(elsewhere).doesNotExist();
    }

    @Test
    void enrollingANetnsThatDoesNotExistSaysSo() {
        assertThatThrownBy(() -> redirection.enroll(Path.of("/var/run/netns/no-such-pod")))
                .isInstanceOf(BpfException.class)
                .hasMessageContaining("network namespace /var/run/netns/no-such-pod does not exist");
    }

    /** Removes pin directories a killed test JVM left, once they are ten minutes old. */
    private static void sweepStalePins() throws IOException {
        Instant cutoff = Instant.now().minus(Duration.ofMinutes(10));
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(Path.of("/sys/fs/bpf"), "ambient-test-*")) {
            for (Path pins : stale) {
                if (Files.getLastModifiedTime(pins).toInstant().isBefore(cutoff)) {
                    EbpfRedirection.uninstall(pins);
                }
            }
        }
    }

    /** A pod that is never enrolled, with an app listening on 8080: somewhere to connect to. */
    private Pod startPeer() throws Exception {
        Pod peer = net.addPod("peer");
        peerApp = track(peer.call(() -> TcpSockets.listen(new InetSocketAddress("0.0.0.0", 8080), 0)));
        return peer;
    }

    /**
     * Connects from {@code pod} to {@code peer}:8080 while ztunnel's 15001 listens in {@code pod}, and says
     * whether the connection went to ztunnel (or else to the peer's app).
     */
    private boolean landsOnZtunnel(Pod pod, Pod peer) throws Exception {
        int ztunnel = pod.call(() -> TcpSockets.listen(OUTBOUND, MARK));
        int client = pod.call(() -> TcpSockets.socket(0));
        try {
            TcpSockets.connect(client, peer.address(8080));
            int listener = TcpSockets.firstReadable(ztunnel, peerApp);
            TcpSockets.close(TcpSockets.accept(listener));
            return listener == ztunnel;
        } finally {
            TcpSockets.close(client);
            TcpSockets.close(ztunnel);
        }
    }

    private int track(int fd) {
        fds.add(fd);
        return fd;
    }
}
