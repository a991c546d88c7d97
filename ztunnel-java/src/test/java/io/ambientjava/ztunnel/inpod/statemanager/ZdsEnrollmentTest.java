package io.ambientjava.ztunnel.inpod.statemanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ambientjava.api.zds.WorkloadInfo;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.manager.CertificateProvider;
import io.ambientjava.identity.manager.LocalCaCertificateProvider;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.zds.ZdsClient;
import io.ambientjava.zds.ZdsException;
import io.ambientjava.zds.ZdsServer;
import io.ambientjava.ztunnel.inpod.PodInfo;
import io.ambientjava.ztunnel.inpod.PodState;
import io.ambientjava.ztunnel.inpod.netns.NetworkNamespace;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntime;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntimeConfig;
import io.ambientjava.ztunnel.testsupport.RecordingObserver;
import io.ambientjava.ztunnel.testsupport.TestMesh;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real node agent's {@link ZdsServer} enrolling pods (network namespaces) with a ztunnel runtime through
 * {@link ZdsPodSource}: listeners appear and go inside the pods, and restarts of either side are reconciled.
 */
@RequiresRoot
@RequiresCommand({"ip", "ss"})
@Timeout(60)
class ZdsEnrollmentTest {

    static final ZdsServer.Settings FAST = new ZdsServer.Settings(Duration.ofSeconds(2), Duration.ofSeconds(5));
    static final ZdsClient.Backoff QUICK = new ZdsClient.Backoff(Duration.ofMillis(20), Duration.ofMillis(100));
    static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.singleNode();

    @TempDir
    Path dir;

    private final TestMesh mesh = new TestMesh(net);

    private Path socket() {
        return dir.resolve("zds/ztunnel.sock");
    }

    private ZtunnelRuntime newRuntime() {
        ZtunnelRuntimeConfig config = ZtunnelRuntimeConfig.of(
                        "node1",
                        TestMesh.TRUST_DOMAIN,
                        mesh.store(),
                        new LocalCaCertificateProvider(TestMesh.ca()),
                        new RecordingObserver())
                .withDrainTimeout(Duration.ofMillis(300))
                .withConnectTimeout(Duration.ofSeconds(3));
        return net.onTeardown(ZtunnelRuntime.start(config));
    }

    private ZdsPodSource connect(ZtunnelRuntime runtime) {
        return net.onTeardown(ZdsPodSource.start(socket(), runtime, Duration.ofSeconds(4), QUICK));
    }

    private ZdsServer agent() throws Exception {
        return net.onTeardown(ZdsServer.start(socket(), FAST));
    }

    /** A pod on node 1 whose workload the store knows (so its HBONE listener has an identity to present). */
    private Pod pod(String name) {
        Pod pod = net.node(1).addPod(name);
        mesh.store().upsert(TestMesh.workload(pod, "default", name).build());
        return pod;
    }

    static WorkloadInfo info(Pod pod) {
        return WorkloadInfo.newBuilder()
                .setName(pod.name())
                .setNamespace("default")
                .setServiceAccount(pod.name())
                .build();
    }

    static String uid(Pod pod) {
        return TestMesh.uid("default", pod.name());
    }

    /** The TCP ports listening inside {@code pod}'s namespace, as {@code ss} shows them. */
    static String listening(Pod pod) {
        return pod.exec("ss", "-Hltn").orThrow().stdout();
    }

    static void assertListening(Pod pod) {
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(listening(pod))
                        .contains(":15001 ")
                        .contains(":15006 ")
                        .contains(":15008 "));
    }

    static void assertNotListening(Pod pod) {
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(listening(pod))
                        .doesNotContain(":15001 ")
                        .doesNotContain(":15006 ")
                        .doesNotContain(":15008 "));
    }

    /**
     * A TCP connect to ztunnel's HBONE port from inside the pod is accepted (HBONE then waits for a TLS hello; the
     * capture ports would reset a connection that was not redirected, so they are only checked with {@code ss}).
     */
    static void assertAccepts(Pod pod) throws Exception {
        try (Socket socket = pod.connect(new InetSocketAddress(pod.ip(), 15008))) {
            assertThat(socket.isConnected()).isTrue();
        }
    }

    @Test
    void addingAndDeletingOverZdsOpensAndClosesTheListenersInThePod() throws Exception {
        Pod a = pod("a");
        ZtunnelRuntime runtime = newRuntime();
        ZdsServer agent = agent();
        ZdsPodSource source = connect(runtime);
        source.firstSnapshot().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(source.notReadyReason()).isEmpty();

        agent.addPod(uid(a), info(a), a.netnsPath()).get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertListening(a);
        assertAccepts(a);
        assertThat(runtime.pods()).singleElement().satisfies(p -> {
            assertThat(p.uid()).isEqualTo(uid(a));
            assertThat(p.state()).isEqualTo(PodState.RUNNING);
            assertThat(p.netns()).isEqualTo(netnsId(a));
        });
        assertThat(source.state().info(uid(a))).hasValue(info(a));

        agent.removePod(uid(a)).get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertNotListening(a);
        await().atMost(WAIT).untilAsserted(() -> assertThat(runtime.pods()).isEmpty());
        assertThatThrownBy(() -> a.connect(new InetSocketAddress(a.ip(), 15008)))
                .hasMessageContaining("Connection refused");
    }

    @Test
    void aPodAddedUnderItsKubernetesUidIsMatchedToItsWorkloadByNamespaceAndName() throws Exception {
        Pod a = pod("k8s");
        ZtunnelRuntime runtime = newRuntime();
        ZdsServer agent = agent();
        ZdsPodSource source = connect(runtime);
        source.firstSnapshot().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        // What a container runtime passes as K8S_POD_UID: not the mesh's workload uid.
        String kubernetesUid = "3f2b9c1e-6d4a-4e8b-9a57-1c0d2e3f4a5b";

        agent.addPod(kubernetesUid, info(a), a.netnsPath()).get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertThat(runtime.pods()).singleElement().satisfies(p -> {
            assertThat(p.uid()).isEqualTo(kubernetesUid);
            assertThat(p.state()).isEqualTo(PodState.RUNNING);
            assertThat(p.workload()).hasValueSatisfying(w -> assertThat(w.uid()).isEqualTo(uid(a)));
            assertThat(p.identity())
                    .hasValueSatisfying(id -> assertThat(id.toString()).endsWith("/ns/default/sa/k8s"));
        });
    }

    @Test
    void aRestartedZtunnelGetsThePodsBackFromTheReplay() throws Exception {
        Pod a = pod("a");
        Pod b = pod("b");
        ZdsServer agent = agent();
        agent.addPod(uid(a), info(a), a.netnsPath());
        agent.addPod(uid(b), info(b), b.netnsPath());
        ZtunnelRuntime first = newRuntime();
        ZdsPodSource firstSource = connect(first);
        firstSource.firstSnapshot().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertListening(a);
        assertListening(b);

        long stopped = System.nanoTime();
        firstSource.close();
        first.close();
        assertNotListening(a);
        long restart = System.nanoTime();
        ZtunnelRuntime second = newRuntime();
        ZdsPodSource secondSource = connect(second);
        awaitAccepting(a);
        long gap = System.nanoTime() - restart;

        // Listeners open before the pod is acked (the ack also waits for its first certificate).
        secondSource.firstSnapshot().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertListening(b);
        assertAccepts(b);
        assertThat(second.pods()).extracting(PodInfo::uid).containsExactlyInAnyOrder(uid(a), uid(b));
        System.out.printf(
                "ztunnel restart over ZDS: new runtime start to first accepted connection %d ms"
                        + " (old ztunnel stopped %d ms before)%n",
                TimeUnit.NANOSECONDS.toMillis(gap), TimeUnit.NANOSECONDS.toMillis(restart - stopped));
        assertThat(gap).isLessThan(TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void aReconnectingZdsClientKeepsRunningPodsAndDropsWhatTheAgentDoesNotHave() throws Exception {
        Pod a = pod("a");
        Pod stray = pod("stray");
        ZtunnelRuntime runtime = newRuntime();
        // A pod the runtime has but the agent never mentions (enrolled before this ZDS client existed).
        runtime.addPod(uid(stray), NetworkNamespace.open(stray.netnsPath())).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        ZdsServer agent = agent();
        agent.addPod(uid(a), info(a), a.netnsPath());
        ZdsPodSource first = connect(runtime);
        first.firstSnapshot().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        // The stray pod drains in the background: listed as draining until its connections are gone.
        await().atMost(WAIT)
                .untilAsserted(() ->
                        assertThat(runtime.pods()).extracting(PodInfo::uid).containsExactly(uid(a)));
        assertNotListening(stray);
        PodInfo before = runtime.pods().getFirst();

        try (Socket open = a.connect(new InetSocketAddress(a.ip(), 15008))) {
            first.close();
            ZdsPodSource second = connect(runtime);
            second.firstSnapshot().get(WAIT.toSeconds(), TimeUnit.SECONDS);

            assertThat(runtime.pods()).singleElement().satisfies(p -> {
                assertThat(p.uid()).isEqualTo(uid(a));
                assertThat(p.added()).as("the very same pod, not re-created").isEqualTo(before.added());
                assertThat(p.state()).isEqualTo(PodState.RUNNING);
            });
            open.setSoTimeout(200);
            assertThatThrownBy(() -> open.getInputStream().read())
                    .as("the open connection was left alone")
                    .isInstanceOf(java.net.SocketTimeoutException.class);
        }
    }

    @Test
    void afterAnAgentRestartKeptAndReAddedPodsStayAndStalePodsAreRemoved() throws Exception {
        Pod a = pod("a");
        Pod kept = pod("kept");
        Pod stale = pod("stale");
        ZtunnelRuntime runtime = newRuntime();
        ZdsServer firstAgent = ZdsServer.start(socket(), FAST);
        try {
            firstAgent.addPod(uid(a), info(a), a.netnsPath());
            firstAgent.addPod(uid(kept), info(kept), kept.netnsPath());
            firstAgent.addPod(uid(stale), info(stale), stale.netnsPath());
            ZdsPodSource source = connect(runtime);
            source.firstSnapshot().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(runtime.pods()).hasSize(3);
        } finally {
            firstAgent.close();
        }

        ZdsServer secondAgent = agent();
        secondAgent.addPod(uid(a), info(a), a.netnsPath());
        // The agent can no longer open this pod's netns: it replays it as KeepWorkload.
        secondAgent.addPod(uid(kept), info(kept), dir.resolve("netns-gone"));

        await().atMost(WAIT).until(secondAgent::ztunnelConnected);
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(runtime.pods())
                        .extracting(PodInfo::uid)
                        .containsExactlyInAnyOrder(uid(a), uid(kept)));
        assertNotListening(stale);
        assertListening(a);
        assertListening(kept);
        assertAccepts(kept);
    }

    @Test
    void aPodThatCannotStartIsNackedWithTheReasonAndTheClientCarriesOn() throws Exception {
        Pod busy = pod("busy");
        Pod fine = pod("fine");
        ZtunnelRuntime runtime = newRuntime();
        ZdsServer agent = agent();
        connect(runtime).firstSnapshot().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        try (java.net.ServerSocket squatter = busy.call(() -> new java.net.ServerSocket(15008))) {
            assertThatThrownBy(() -> agent.addPod(uid(busy), info(busy), busy.netnsPath())
                            .get(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .hasCauseInstanceOf(ZdsException.class)
                    .hasMessageContaining("ztunnel refused AddWorkload " + uid(busy))
                    .hasMessageContaining("Address already in use");
        }
        agent.addPod(uid(fine), info(fine), fine.netnsPath()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertListening(fine);

        // Enrolled again once the port is free: the failed pod is replaced.
        agent.addPod(uid(busy), info(busy), busy.netnsPath()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertListening(busy);
        assertThat(runtime.pods()).allSatisfy(p -> assertThat(p.state()).isEqualTo(PodState.RUNNING));
    }

    @Test
    void aPodWhoseCertificateIsSlowIsAckedAndServesOnceItArrives() throws Exception {
        Pod slow = pod("slow");
        LocalCaCertificateProvider ca = new LocalCaCertificateProvider(TestMesh.ca());
        CompletableFuture<Void> release = new CompletableFuture<>();
        CertificateProvider delayed = new CertificateProvider() {
            @Override
            public CompletableFuture<WorkloadCertificate> fetch(SpiffeId identity) {
                return release.thenCompose(ignored -> ca.fetch(identity));
            }

            @Override
            public TrustBundle trustBundle() {
                return ca.trustBundle();
            }
        };
        ZtunnelRuntime runtime = net.onTeardown(ZtunnelRuntime.start(
                ZtunnelRuntimeConfig.of("node1", TestMesh.TRUST_DOMAIN, mesh.store(), delayed, new RecordingObserver())
                        .withDrainTimeout(Duration.ofMillis(300))));
        ZdsServer agent = agent();
        net.onTeardown(() -> release.complete(null));
        ZdsPodSource source = net.onTeardown(ZdsPodSource.start(socket(), runtime, Duration.ofMillis(300), QUICK));
        source.firstSnapshot().get(WAIT.toSeconds(), TimeUnit.SECONDS);

        agent.addPod(uid(slow), info(slow), slow.netnsPath()).get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertThat(runtime.pods())
                .singleElement()
                .satisfies(p -> assertThat(p.state()).isEqualTo(PodState.STARTING));
        assertListening(slow);
        release.complete(null);
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(runtime.pods())
                        .singleElement()
                        .satisfies(p -> assertThat(p.state()).isEqualTo(PodState.RUNNING)));
    }

    private void awaitAccepting(Pod pod) {
        await().atMost(WAIT)
                .pollInterval(Duration.ofMillis(5))
                .ignoreExceptions()
                .until(() -> {
                    try (Socket socket = pod.connect(new InetSocketAddress(pod.ip(), 15008))) {
                        return socket.isConnected();
                    }
                });
    }

    private static io.ambientjava.ztunnel.inpod.netns.NetnsId netnsId(Pod pod) throws Exception {
        try (NetworkNamespace netns = NetworkNamespace.open(pod.netnsPath())) {
            return netns.id();
        }
    }
}
