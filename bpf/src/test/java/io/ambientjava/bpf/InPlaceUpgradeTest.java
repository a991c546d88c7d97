package io.ambientjava.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A new agent version with changed programs takes over the pinned redirection in place. "Version 2" is a test
 * build of the same source whose outbound redirection goes to port 15002 instead of 15001, so which version
 * redirected a connection shows; a third build changes a map's value size and must be refused.
 */
@RequiresRoot
@RequiresCommand({"ip"})
class InPlaceUpgradeTest {
    private static final String NEXT_VERSION = "/bpf-test/ambient_redirect-next.bpf.o";
    private static final String CHANGED_MAPS = "/bpf-test/ambient_redirect-changed-maps.bpf.o";
    private static final int MARK = TcpSockets.ZTUNNEL_MARK;

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.singleNode();

    private final List<Integer> fds = new ArrayList<>();
    private TestCgroup cgroup;
    private Path pinRoot;
    private Pod pod;
    private Pod peer;
    private int v1Listener;
    private int v2Listener;
    private int peerApp;

    @BeforeEach
    void setUp() throws Exception {
        cgroup = TestCgroup.enter();
        pinRoot = Path.of(
                "/sys/fs/bpf/ambient-test-" + UUID.randomUUID().toString().substring(0, 8));
        pod = net.addPod("a");
        peer = net.addPod("peer");
        v1Listener = track(pod.call(() -> TcpSockets.listen(new InetSocketAddress("0.0.0.0", 15001), MARK)));
        v2Listener = track(pod.call(() -> TcpSockets.listen(new InetSocketAddress("0.0.0.0", 15002), MARK)));
        peerApp = track(peer.call(() -> TcpSockets.listen(new InetSocketAddress("0.0.0.0", 8080), 0)));
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
    void aNewVersionReplacesTheProgramsInPlaceWhileEnrolledPodsStayRedirected() throws Exception {
        long cookie;
        try (EbpfRedirection v1 = EbpfRedirection.install(pinRoot, cgroup.path())) {
            assertThat(v1.outcome()).isEqualTo(InstallOutcome.INSTALLED);
            cookie = v1.enroll(pod.netnsPath()).cookie();
        }
        assertThat(whereAConnectionLands()).isEqualTo(v1Listener);
        int app = track(pod.call(() -> TcpSockets.socket(0)));
        TcpSockets.connect(app, peer.address(8080));
        int ztunnel = track(TcpSockets.accept(v1Listener));
        TcpSockets.write(app, "before");
        Map<String, Integer> before = pinnedProgramIds();
        Set<String> pinsBefore = pinTree();

        Map<Integer, AtomicInteger> landed = new ConcurrentHashMap<>();
        AtomicBoolean upgraded = new AtomicBoolean();
        try (ExecutorService threads =
                Executors.newThreadPerTaskExecutor(Thread.ofPlatform().factory())) {
            Future<?> traffic = threads.submit(() -> connectUntil(upgraded, landed));
            Thread.sleep(100);
            long start = System.nanoTime();
            try (EbpfRedirection v2 =
                    EbpfRedirection.install(pinRoot, cgroup.path(), KernelFeature.REDIRECTION, true, NEXT_VERSION)) {
                upgraded.set(true);
                long tookMillis = (System.nanoTime() - start) / 1_000_000;
                traffic.get(30, TimeUnit.SECONDS);
                System.out.printf(
                        "in-place upgrade took %d ms; connections meanwhile: %d to v1, %d to v2, %d unredirected%n",
                        tookMillis, count(landed, v1Listener), count(landed, v2Listener), count(landed, peerApp));

                assertThat(v2.outcome()).isEqualTo(InstallOutcome.UPGRADED);
                assertThat(v2.enrolledCookies())
                        .as("enrolled pods, kept in the maps")
                        .containsExactly(cookie);
            }
        }
        assertThat(count(landed, peerApp))
                .as("connections that reached the peer unredirected while upgrading (landed: %s)", landed)
                .isZero();
        assertThat(landed.values().stream().mapToInt(AtomicInteger::get).sum()).isPositive();
        assertThat(whereAConnectionLands()).as("redirected by version 2").isEqualTo(v2Listener);
        TcpSockets.write(app, "after");
        assertThat(TcpSockets.read(ztunnel, 11))
                .as("a connection on the fast path across the upgrade")
                .isEqualTo("beforeafter");
        TcpSockets.write(ztunnel, "back");
        assertThat(TcpSockets.read(app, 4)).isEqualTo("back");
        assertThat(TcpSockets.bytesReceivedThroughTcp(ztunnel))
                .as("bytes that took TCP")
                .isZero();
        assertThat(inboundIsSteered())
                .as("the pod's sk_lookup link runs version 2")
                .isTrue();

        Map<String, Integer> after = pinnedProgramIds();
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach((program, id) ->
                assertThat(after.get(program)).as("id of pinned %s", program).isNotEqualTo(id));
        assertThat(pinTree()).as("the pins, by name").isEqualTo(pinsBefore);
        assertThat(EbpfRedirection.isInstalled(pinRoot)).isTrue();

        try (EbpfRedirection again =
                EbpfRedirection.install(pinRoot, cgroup.path(), KernelFeature.REDIRECTION, true, NEXT_VERSION)) {
            assertThat(again.outcome()).as("the same version once more").isEqualTo(InstallOutcome.REUSED);
        }
        assertThat(pinnedProgramIds()).isEqualTo(after);

        EbpfRedirection.uninstall(pinRoot);
        assertThat(pinRoot).doesNotExist();
        assertThat(whereAConnectionLands()).as("after uninstall").isEqualTo(peerApp);
    }

    @Test
    void aVersionWhoseMapsDoNotFitIsRefusedAndNothingChanges() throws Exception {
        try (EbpfRedirection v1 = EbpfRedirection.install(pinRoot, cgroup.path())) {
            v1.enroll(pod.netnsPath());
        }
        Map<String, Integer> before = pinnedProgramIds();
        Set<String> pinsBefore = pinTree();

        assertThatThrownBy(() ->
                        EbpfRedirection.install(pinRoot, cgroup.path(), KernelFeature.REDIRECTION, true, CHANGED_MAPS))
                .isInstanceOf(BpfException.class)
                .hasMessageContaining("has maps whose layout this version cannot take over: enrolled_netns (pinned:"
                        + " type 1, key 8 B, value 8 B, 16384 entries, flags 0x0; this version: type 1, key 8 B,"
                        + " value 16 B, 16384 entries, flags 0x0)")
                .hasMessageContaining("Nothing was changed; uninstall it first");

        assertThat(pinnedProgramIds()).isEqualTo(before);
        assertThat(pinTree()).isEqualTo(pinsBefore);
        assertThat(whereAConnectionLands()).isEqualTo(v1Listener);
    }

    private static int count(Map<Integer, AtomicInteger> landed, int listener) {
        return landed.getOrDefault(listener, new AtomicInteger()).get();
    }

    /** Connects from the pod to the peer's app until {@code stop} (bounded), counting where each one lands. */
    private Void connectUntil(AtomicBoolean stop, Map<Integer, AtomicInteger> landed) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        for (int i = 0; i < 5000 && System.nanoTime() < deadline; i++) {
            landed.computeIfAbsent(whereAConnectionLands(), fd -> new AtomicInteger())
                    .incrementAndGet();
            if (stop.get()) {
                break;
            }
        }
        return null;
    }

    /** The listener that got a connection from the pod to the peer's app: v1's, v2's, or the app itself. */
    private int whereAConnectionLands() throws Exception {
        int client = pod.call(() -> TcpSockets.socket(0));
        try {
            TcpSockets.connect(client, peer.address(8080));
            int listener = TcpSockets.firstReadable(v1Listener, v2Listener, peerApp);
            TcpSockets.close(TcpSockets.accept(listener));
            return listener;
        } finally {
            TcpSockets.close(client);
        }
    }

    private boolean inboundIsSteered() throws Exception {
        int inbound = pod.call(() -> TcpSockets.listen(new InetSocketAddress("0.0.0.0", 15006), MARK));
        int client = peer.call(() -> TcpSockets.socket(0));
        try {
            TcpSockets.connect(client, pod.address(8080));
            TcpSockets.close(TcpSockets.accept(inbound));
            return true;
        } finally {
            TcpSockets.close(client);
            TcpSockets.close(inbound);
        }
    }

    private Map<String, Integer> pinnedProgramIds() {
        Map<String, Integer> ids = new LinkedHashMap<>();
        PinLayout pins = new PinLayout(pinRoot);
        for (String program : EbpfRedirection.PROGRAMS) {
            int fd = Libbpf.check(Libbpf.objGet(pins.program(program).toString()), "opening " + program);
            try {
                ids.put(
                        program,
                        Libbpf.programIdentity(fd, "reading " + program).id());
            } finally {
                Libc.close(fd);
            }
        }
        return ids;
    }

    private Set<String> pinTree() throws IOException {
        try (Stream<Path> walk = Files.walk(pinRoot)) {
            return walk.map(path -> pinRoot.relativize(path).toString()).collect(TreeSet::new, Set::add, Set::addAll);
        }
    }

    private int track(int fd) {
        fds.add(fd);
        return fd;
    }
}
