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
}
