package io.ambientjava.ztunnel.state.lb;

import static io.ambientjava.ztunnel.state.TestData.ECHO;
import static io.ambientjava.ztunnel.state.TestData.echoService;
import static io.ambientjava.ztunnel.state.TestData.pod;
import static io.ambientjava.ztunnel.state.TestData.podUid;
import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.ztunnel.state.HealthStatus;
import io.ambientjava.ztunnel.state.LoadBalancing;
import io.ambientjava.ztunnel.state.NetworkAddress;
import io.ambientjava.ztunnel.state.PortMap;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.state.WorkloadStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoundRobinPickerTest {

    private static final NetworkAddress VIP = NetworkAddress.parse("/198.19.0.10");

    private final WorkloadStore store = new WorkloadStore();
    private final RoundRobinPicker picker = new RoundRobinPicker();

    private static Workload echo(int replica, PortMap ports) {
        return pod("default", "echo-" + replica, "198.18.0." + (20 + replica))
                .service(ECHO, ports)
                .build();
    }

    private StateSnapshot state(Service service, Workload... workloads) {
        return store.replaceAll(List.of(workloads), List.of(service), List.of());
    }

    @Test
    void alternatesEvenlyOverTwoEndpoints() {
        StateSnapshot s = state(echoService().build(), echo(0, PortMap.of(80, 8080)), echo(1, PortMap.of(80, 8080)));
        Map<String, Integer> counts = new HashMap<>();
        String previous = null;
        for (int i = 0; i < 100; i++) {
            PickedEndpoint picked = picker.pick(s, VIP, 80, Set.of()).orElseThrow();
            assertThat(picked.workload().name()).isNotEqualTo(previous);
            previous = picked.workload().name();
            counts.merge(previous, 1, Integer::sum);
            assertThat(picked.targetPort()).isEqualTo(8080);
            assertThat(picked.address())
                    .map(a -> a.getHostAddress())
                    .hasValue(picked.workload().addresses().getFirst().getHostAddress());
        }
        assertThat(counts).containsExactlyInAnyOrderEntriesOf(Map.of("echo-0", 50, "echo-1", 50));
    }

    @Test
    void skipsExcludedEndpoints() {
        StateSnapshot s = state(echoService().build(), echo(0, PortMap.of(80, 8080)), echo(1, PortMap.of(80, 8080)));
        Set<String> refused = Set.of(podUid("default", "echo-0"));
        for (int i = 0; i < 10; i++) {
            assertThat(picker.pick(s, VIP, 80, refused))
                    .hasValueSatisfying(p -> assertThat(p.workload().name()).isEqualTo("echo-1"));
        }
        Set<String> both = Set.of(podUid("default", "echo-0"), podUid("default", "echo-1"));
        assertThat(picker.pick(s, VIP, 80, both)).isEmpty();
    }

    @Test
    void unhealthyEndpointsOnlyWithAllowAll() {
        Workload sick = echo(1, PortMap.of(80, 8080)).toBuilder()
                .status(HealthStatus.UNHEALTHY)
                .build();
        StateSnapshot s = state(echoService().build(), echo(0, PortMap.of(80, 8080)), sick);
        for (int i = 0; i < 4; i++) {
            assertThat(picker.pick(s, VIP, 80, Set.of())
                            .orElseThrow()
                            .workload()
                            .name())
                    .isEqualTo("echo-0");
        }
        Service allowAll = echoService()
                .loadBalancing(
                        new LoadBalancing(List.of(), LoadBalancing.Mode.STANDARD, LoadBalancing.HealthPolicy.ALLOW_ALL))
                .build();
        s = state(allowAll, echo(0, PortMap.of(80, 8080)), sick);
        assertThat(List.of(
                        picker.pick(s, VIP, 80, Set.of())
                                .orElseThrow()
                                .workload()
                                .name(),
                        picker.pick(s, VIP, 80, Set.of())
                                .orElseThrow()
                                .workload()
                                .name()))
                .containsExactlyInAnyOrder("echo-0", "echo-1");
    }

    @Test
    void targetPortPrefersTheEndpointsOwnMapping() {
        Service unspecifiedTarget = echoService().ports(PortMap.of(80, 0)).build();
        StateSnapshot s = state(unspecifiedTarget, echo(0, PortMap.of(80, 9090)), echo(1, PortMap.of(443, 8443)));
        // echo-1 has no mapping for 80 and the service gives none: it is not a candidate
        for (int i = 0; i < 4; i++) {
            PickedEndpoint p = picker.pick(s, VIP, 80, Set.of()).orElseThrow();
            assertThat(p.workload().name()).isEqualTo("echo-0");
            assertThat(p.targetPort()).isEqualTo(9090);
        }
        // with a service target port, an endpoint without its own mapping uses the service's
        s = state(echoService().build(), echo(1, PortMap.of(443, 8443)));
        assertThat(picker.pick(s, VIP, 80, Set.of()).orElseThrow().targetPort()).isEqualTo(8080);
    }

    @Test
    void nothingForUnknownPortsVipsOrEmptyServices() {
        StateSnapshot s = state(echoService().build(), echo(0, PortMap.of(80, 8080)));
        assertThat(picker.pick(s, VIP, 81, Set.of())).isEmpty();
        assertThat(picker.pick(s, NetworkAddress.parse("/198.19.0.99"), 80, Set.of()))
                .isEmpty();
        assertThat(picker.pick(state(echoService().build()), VIP, 80, Set.of())).isEmpty();
    }

    @Test
    void prefersTheVipsAddressFamily() {
        Workload dual = pod("default", "echo-0", "198.18.0.20")
                .addresses("198.18.0.20", "fd00::20")
                .service(ECHO, PortMap.of(80, 8080))
                .build();
        Service dualService = echoService().vips("/198.19.0.10", "/fd00:19::10").build();
        StateSnapshot s = state(dualService, dual);
        assertThat(picker.pick(s, NetworkAddress.parse("/fd00:19::10"), 80, Set.of())
                        .orElseThrow()
                        .address())
                .hasValueSatisfying(a -> assertThat(a.getAddress()).hasSize(16));
        assertThat(picker.pick(s, VIP, 80, Set.of()).orElseThrow().address())
                .hasValueSatisfying(a -> assertThat(a.getHostAddress()).isEqualTo("198.18.0.20"));
    }

    private static Workload at(String name, int ip, String node, String region, String zone) {
        return pod("default", name, "198.18.0." + ip)
                .node(node)
                .locality(new io.ambientjava.ztunnel.state.Locality(region, zone, ""))
                .service(ECHO, PortMap.of(80, 8080))
                .build();
    }

    /** The calling workload: not an endpoint of the service itself. */
    private static Workload caller() {
        return pod("default", "client", "198.18.0.10")
                .node("node-1")
                .locality(new io.ambientjava.ztunnel.state.Locality("eu", "eu-a", ""))
                .build();
    }

    private static final List<LoadBalancing.Scope> PREFER_CLOSE = List.of(
            LoadBalancing.Scope.NETWORK,
            LoadBalancing.Scope.REGION,
            LoadBalancing.Scope.ZONE,
            LoadBalancing.Scope.SUBZONE);

    private Set<String> picksFor(StateSnapshot s, Service service, Workload caller, int times) {
        Set<String> names = new java.util.TreeSet<>();
        for (int i = 0; i < times; i++) {
            picker.pick(s, service, 80, Set.of(), java.util.Optional.of(caller))
                    .ifPresent(p -> names.add(p.workload().name()));
        }
        return names;
    }

    @Test
    void preferCloseKeepsACallerInItsZoneThenRegionThenAnywhere() {
        Service service = echoService()
                .loadBalancing(new LoadBalancing(
                        PREFER_CLOSE, LoadBalancing.Mode.FAILOVER, LoadBalancing.HealthPolicy.ONLY_HEALTHY))
                .build();
        Workload caller = caller();
        Workload sameZone = at("echo-a", 21, "node-2", "eu", "eu-a");
        Workload sameRegion = at("echo-b", 22, "node-3", "eu", "eu-b");
        Workload elsewhere = at("echo-us", 23, "node-4", "us", "us-a");

        assertThat(picksFor(state(service, caller, sameZone, sameRegion, elsewhere), service, caller, 10))
                .containsExactly("echo-a");
        assertThat(picksFor(state(service, caller, sameRegion, elsewhere), service, caller, 10))
                .containsExactly("echo-b");
        assertThat(picksFor(state(service, caller, elsewhere), service, caller, 10))
                .containsExactly("echo-us");
        // an endpoint the caller may not use any more (refused this connection) gives way to the next best
        StateSnapshot all = state(service, caller, sameZone, sameRegion, elsewhere);
        assertThat(picker.pick(all, service, 80, Set.of(sameZone.uid()), java.util.Optional.of(caller))
                        .orElseThrow()
                        .workload()
                        .name())
                .isEqualTo("echo-b");
    }

    @Test
    void internalTrafficPolicyLocalPicksOnlyEndpointsOnTheCallersNode() {
        Service service = echoService()
                .loadBalancing(new LoadBalancing(
                        List.of(LoadBalancing.Scope.NODE),
                        LoadBalancing.Mode.STRICT,
                        LoadBalancing.HealthPolicy.ONLY_HEALTHY))
                .build();
        Workload caller = caller();
        Workload local = at("echo-local", 21, "node-1", "eu", "eu-a");
        Workload remote = at("echo-remote", 22, "node-2", "eu", "eu-a");

        assertThat(picksFor(state(service, caller, local, remote), service, caller, 10))
                .containsExactly("echo-local");
        assertThat(picker.pick(state(service, caller, remote), service, 80, Set.of(), java.util.Optional.of(caller)))
                .isEmpty();
        // without a caller (a waypoint's own endpoint, say) the preference does not apply
        assertThat(picker.pick(state(service, caller, remote), service, 80, Set.of()))
                .isPresent();
    }

    @Test
    void withoutAPreferenceEveryUsableEndpointTakesItsTurn() {
        Service service = echoService().build();
        Workload caller = caller();
        assertThat(picksFor(
                        state(
                                service,
                                caller,
                                at("echo-a", 21, "node-2", "eu", "eu-a"),
                                at("echo-us", 22, "node-3", "us", "us-a")),
                        service,
                        caller,
                        4))
                .containsExactly("echo-a", "echo-us");
    }

    @Test
    void endpointsWithDifferentCapacitiesArePickedInProportion() {
        Workload heavy = pod("default", "echo-heavy", "198.18.0.31")
                .capacity(3)
                .service(ECHO, PortMap.of(80, 8080))
                .build();
        Workload light = pod("default", "echo-light", "198.18.0.32")
                .service(ECHO, PortMap.of(80, 8080))
                .build();
        StateSnapshot s = state(echoService().build(), heavy, light);
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            counts.merge(
                    picker.pick(s, VIP, 80, Set.of()).orElseThrow().workload().name(), 1, Integer::sum);
        }
        assertThat(counts).containsExactlyInAnyOrderEntriesOf(Map.of("echo-heavy", 300, "echo-light", 100));
    }
}
