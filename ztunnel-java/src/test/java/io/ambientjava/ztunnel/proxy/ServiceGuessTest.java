package io.ambientjava.ztunnel.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.ztunnel.state.PortMap;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.state.WorkloadStore;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceGuessTest {

    private final WorkloadStore store = new WorkloadStore();

    @Test
    void theServiceWhosePortMapsToTheTargetPortIsChosen() {
        store.upsert(Service.builder("default", "web.default.svc.cluster.local")
                .ports(PortMap.of(80, 8080))
                .build());
        store.upsert(Service.builder("default", "admin.default.svc.cluster.local")
                .ports(PortMap.of(9000, 0))
                .build());
        Workload pod = Workload.builder("Kubernetes//Pod/default/web", "default")
                .service("default/admin.default.svc.cluster.local", new PortMap(Map.of(9000, 9090)))
                .service("default/web.default.svc.cluster.local", PortMap.empty())
                .build();
        store.upsert(pod);

        assertThat(ServiceGuess.forTargetPort(store.snapshot(), pod, 8080))
                .map(Service::hostname)
                .contains("web.default.svc.cluster.local");
        assertThat(ServiceGuess.forTargetPort(store.snapshot(), pod, 9090))
                .map(Service::hostname)
                .contains("admin.default.svc.cluster.local");
        assertThat(ServiceGuess.forTargetPort(store.snapshot(), pod, 5432)).isEmpty();
    }

    @Test
    void aServiceNotYetKnownIsSkipped() {
        Workload pod = Workload.builder("Kubernetes//Pod/default/web", "default")
                .service("default/web.default.svc.cluster.local", PortMap.of(80, 8080))
                .build();

        assertThat(ServiceGuess.forTargetPort(store.snapshot(), pod, 8080)).isEmpty();
    }
}
