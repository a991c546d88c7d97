package io.ambientjava.ztunnel.state;

import static io.ambientjava.ztunnel.state.TestData.ECHO;
import static io.ambientjava.ztunnel.state.TestData.echoService;
import static io.ambientjava.ztunnel.state.TestData.pod;
import static io.ambientjava.ztunnel.state.TestData.podUid;
import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.ztunnel.state.policy.Authorization;
import io.ambientjava.ztunnel.state.policy.Match;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class WorkloadStoreTest {

    private final WorkloadStore store = new WorkloadStore();

    private static Workload echo(int replica) {
        return pod("default", "echo-" + replica, "198.18.0." + (20 + replica))
                .service(ECHO, PortMap.of(80, 8080))
                .build();
    }

    @Test
    void startsEmpty() {
        StateSnapshot s = store.snapshot();
        assertThat(s.generation()).isZero();
        assertThat(s.workloads()).isEmpty();
        assertThat(s.services()).isEmpty();
        assertThat(s.policies()).isEmpty();
    }

    @Test
    void indexesWorkloadsByUidAndNetworkAddress() {
        Workload remote =
                pod("default", "remote-0", "198.18.0.20").network("east").build();
        store.replaceAll(List.of(echo(0), remote), List.of(), List.of());
        StateSnapshot s = store.snapshot();

        assertThat(s.workload(podUid("default", "echo-0"))).contains(echo(0));
        assertThat(s.workloadAt(NetworkAddress.parse("/198.18.0.20"))).contains(echo(0));
        // same IP, other network: another workload
        assertThat(s.workloadAt(NetworkAddress.parse("east/198.18.0.20"))).contains(remote);
        assertThat(s.workloadAt(NetworkAddress.parse("/198.18.0.99"))).isEmpty();
        assertThat(s.workload("nope")).isEmpty();
        assertThat(s.workloads())
                .extracting(Workload::uid)
                .containsExactly(podUid("default", "echo-0"), podUid("default", "remote-0"));
    }

    @Test
    void indexesServicesByKeyVipPortAndHostname() {
        Service entryElsewhere = Service.builder("other", "echo.default.svc.cluster.local")
                .vips("/198.19.0.11")
                .ports(PortMap.of(443, 8443))
                .build();
        store.replaceAll(List.of(), List.of(echoService().build(), entryElsewhere), List.of());
        StateSnapshot s = store.snapshot();

        NetworkAddress vip = NetworkAddress.parse("/198.19.0.10");
        assertThat(s.service(NamespacedHostname.parse(ECHO)))
                .contains(echoService().build());
        assertThat(s.serviceAt(vip)).contains(echoService().build());
        assertThat(s.serviceAt(vip, 80)).contains(echoService().build());
        assertThat(s.serviceAt(vip, 81)).isEmpty();
        assertThat(s.serviceAt(NetworkAddress.parse("east/198.19.0.10"))).isEmpty();
        assertThat(s.servicesByHostname("echo.default.svc.cluster.local"))
                .extracting(Service::namespace)
                .containsExactly("default", "other");
        assertThat(s.servicesByHostname("nope")).isEmpty();
    }

    @Test
    void endpointsComeFromWorkloadsThatReferenceTheService() {
        Workload unrelated = pod("default", "client-0", "198.18.0.10").build();
        // the workloads arrive before their service: endpoints are known already
        store.replaceAll(List.of(echo(1), echo(0), unrelated), List.of(), List.of());
        assertThat(store.snapshot().endpoints(NamespacedHostname.parse(ECHO)))
                .extracting(e -> e.workload().name())
                .containsExactly("echo-0", "echo-1");

        store.upsert(echoService().build());
        List<Endpoint> endpoints = store.snapshot().endpoints(NamespacedHostname.parse(ECHO));
        assertThat(endpoints).hasSize(2);
        assertThat(endpoints.getFirst().ports()).isEqualTo(PortMap.of(80, 8080));

        store.removeWorkload(podUid("default", "echo-1"));
        assertThat(store.snapshot().endpoints(NamespacedHostname.parse(ECHO)))
                .extracting(e -> e.workload().name())
                .containsExactly("echo-0");
    }

    @Test
    void upsertReplacesByKeyAndReindexes() {
        store.upsert(echo(0));
        Workload moved = echo(0).toBuilder().addresses("198.18.0.77").build();
        store.upsert(moved);
        StateSnapshot s = store.snapshot();
        assertThat(s.workloads()).containsExactly(moved);
        assertThat(s.workloadAt(NetworkAddress.parse("/198.18.0.20"))).isEmpty();
        assertThat(s.workloadAt(NetworkAddress.parse("/198.18.0.77"))).contains(moved);
        assertThat(s.generation()).isEqualTo(2);
    }

    @Test
    void removeAddressRemovesAWorkloadOrAService() {
        store.replaceAll(List.of(echo(0)), List.of(echoService().build()), List.of());
        store.apply(
                StateUpdate.builder().removeAddress(podUid("default", "echo-0")).build());
        assertThat(store.snapshot().workloads()).isEmpty();
        assertThat(store.snapshot().services()).hasSize(1);

        store.apply(StateUpdate.builder().removeAddress(ECHO).build());
        assertThat(store.snapshot().services()).isEmpty();

        // unknown names are ignored
        store.apply(StateUpdate.builder()
                .removeAddress("no-slash")
                .removeAddress("a/b")
                .build());
        assertThat(store.snapshot().generation()).isEqualTo(4);
    }

    @Test
    void removalsApplyBeforeUpsertsInOneBatch() {
        store.upsert(echo(0));
        store.apply(StateUpdate.builder()
                .removeWorkload(podUid("default", "echo-0"))
                .upsert(echo(0).toBuilder().canonicalRevision("v2").build())
                .build());
        assertThat(store.snapshot().workloads())
                .singleElement()
                .extracting(Workload::canonicalRevision)
                .isEqualTo("v2");
    }

    @Test
    void replaceAllDropsWhatIsNotListed() {
        store.replaceAll(List.of(echo(0), echo(1)), List.of(echoService().build()), List.of(TestData.strictMtls()));
        store.replaceAll(List.of(echo(1)), List.of(), List.of());
        StateSnapshot s = store.snapshot();
        assertThat(s.workloads()).containsExactly(echo(1));
        assertThat(s.services()).isEmpty();
        assertThat(s.policies()).isEmpty();
    }

    @Test
    void addressClaimedTwicePrefersAPodInTheMesh() {
        Workload entry = Workload.builder("Kubernetes/networking.istio.io/WorkloadEntry/default/vm", "default")
                .addresses("198.18.0.20")
                .protocol(Protocol.HBONE)
                .build();
        Workload plainPod = echo(0).toBuilder().protocol(Protocol.TCP).build();
        store.replaceAll(List.of(entry, plainPod), List.of(), List.of());
        assertThat(store.snapshot().workloadAt(NetworkAddress.parse("/198.18.0.20")))
                .contains(plainPod);

        Workload meshPod = pod("default", "echo-9", "198.18.0.20").build();
        store.upsert(meshPod);
        assertThat(store.snapshot().workloadAt(NetworkAddress.parse("/198.18.0.20")))
                .contains(meshPod);
    }

    @Test
    void hostNetworkWorkloadsAreNotFoundByAddress() {
        Workload host = pod("kube-system", "agent-0", "198.18.0.2")
                .networkMode(NetworkMode.HOST_NETWORK)
                .build();
        store.upsert(host);
        assertThat(store.snapshot().workloadAt(NetworkAddress.parse("/198.18.0.2")))
                .isEmpty();
        assertThat(store.snapshot().workload(host.uid())).contains(host);
    }

    @Test
    void policiesApplyByScope() {
        Match any = Match.builder().destinationPorts(1).build();
        Authorization global =
                TestData.policy("istio-system", "global", Authorization.Scope.GLOBAL, Authorization.Action.ALLOW, any);
        Authorization inDefault =
                TestData.policy("default", "ns", Authorization.Scope.NAMESPACE, Authorization.Action.ALLOW, any);
        Authorization inOther =
                TestData.policy("other", "ns", Authorization.Scope.NAMESPACE, Authorization.Action.ALLOW, any);
        Authorization selected = TestData.policy(
                "default", "selected", Authorization.Scope.WORKLOAD_SELECTOR, Authorization.Action.DENY, any);
        Workload plain = echo(0);
        Workload withSelector = echo(1).toBuilder()
                .authorizationPolicies(List.of("default/selected", "default/not-yet-known"))
                .build();
        Workload elsewhere = pod("other", "db-0", "198.18.0.30").build();
        store.replaceAll(
                List.of(plain, withSelector, elsewhere), List.of(), List.of(global, inDefault, inOther, selected));
        StateSnapshot s = store.snapshot();

        assertThat(s.policiesFor(plain)).containsExactly(inDefault, global);
        assertThat(s.policiesFor(withSelector)).containsExactly(inDefault, global, selected);
        assertThat(s.policiesFor(elsewhere)).containsExactly(inOther, global);
        assertThat(s.policy("default/selected")).contains(selected);

        store.removePolicy("istio-system/global");
        assertThat(store.snapshot().policiesFor(plain)).containsExactly(inDefault);
    }

    @Test
    void aReaderHoldingASnapshotKeepsItsView() {
        store.replaceAll(List.of(echo(0), echo(1)), List.of(echoService().build()), List.of());
        StateSnapshot held = store.snapshot();

        store.replaceAll(List.of(pod("default", "client-0", "198.18.0.10").build()), List.of(), List.of());

        assertThat(held.workloads()).hasSize(2);
        assertThat(held.workloadAt(NetworkAddress.parse("/198.18.0.21"))).isPresent();
        assertThat(held.endpoints(NamespacedHostname.parse(ECHO))).hasSize(2);
        assertThat(held.serviceAt(NetworkAddress.parse("/198.19.0.10"))).isPresent();
        assertThat(store.snapshot().workloads()).extracting(Workload::name).containsExactly("client-0");
        assertThat(store.snapshot().generation()).isEqualTo(held.generation() + 1);
    }

    @Test
    void concurrentReadersAlwaysSeeAConsistentSnapshot() throws Exception {
        // Writer alternates between two complete states; every index a reader consults in one snapshot must agree.
        List<Workload> stateA = List.of(echo(0), echo(1));
        List<Workload> stateB = List.of(echo(2));
        List<String> problems = new CopyOnWriteArrayList<>();
        AtomicReference<Boolean> stop = new AtomicReference<>(false);
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            readers.add(Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    StateSnapshot s = store.snapshot();
                    int byList = s.workloads().size();
                    int endpoints = s.endpoints(NamespacedHostname.parse(ECHO)).size();
                    long byAddress = s.workloads().stream()
                            .filter(w -> s.workloadAt(w.networkAddresses().getFirst())
                                    .isPresent())
                            .count();
                    if (byList != endpoints || byList != byAddress) {
                        problems.add(
                                "generation " + s.generation() + ": " + byList + "/" + endpoints + "/" + byAddress);
                    }
                }
            }));
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        for (int i = 0; i < 2_000 && System.nanoTime() < deadline; i++) {
            store.replaceAll(i % 2 == 0 ? stateA : stateB, List.of(echoService().build()), List.of());
        }
        stop.set(true);
        for (Thread t : readers) {
            t.join(5_000);
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void listenersSeeEveryPublishedSnapshot() {
        List<Long> seen = new ArrayList<>();
        Runnable unsubscribe = store.subscribe(s -> seen.add(s.generation()));
        store.upsert(echo(0));
        store.subscribe(s -> {
            throw new IllegalStateException("a failing listener does not stop others");
        });
        store.upsert(echo(1));
        unsubscribe.run();
        store.upsert(echo(2));
        assertThat(seen).containsExactly(1L, 2L);
    }
}
