package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The source workload named by the baggage ztunnel sends with a CONNECT. */
class DownstreamContextTest {

    private static Optional<String> workload(String baggage) {
        return new DownstreamContext(
                        "198.19.0.11", 80, Optional.empty(), Optional.empty(), Optional.ofNullable(baggage))
                .sourceWorkload();
    }

    @Test
    void aControllerKindNamesTheWorkloadEvenAfterThePod() {
        assertThat(workload("k8s.cluster.name=Kubernetes,k8s.namespace.name=shop,k8s.pod.name=frontend-7d9f,"
                        + "k8s.deployment.name=frontend,service.name=frontend"))
                .contains("frontend");
    }

    @Test
    void aBarePodIsItsOwnWorkload() {
        assertThat(workload("k8s.cluster.name=Kubernetes,k8s.namespace.name=shop,k8s.pod.name=frontend-v1,"
                        + "service.name=frontend,service.version=v1"))
                .contains("frontend-v1");
    }

    @Test
    void noBaggageOrNoWorkloadNameIsUnknown() {
        assertThat(workload(null)).isEmpty();
        assertThat(workload("k8s.namespace.name=shop,service.name=frontend")).isEmpty();
    }
}
