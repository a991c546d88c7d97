package io.ambientjava.ztunnel.proxy.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.ztunnel.state.Workload;
import org.junit.jupiter.api.Test;

class BaggageTest {

    @Test
    void namesTheSourceWorkloadAsUpstreamDoes() {
        Workload source = Workload.builder("Kubernetes//Pod/default/sleep-1", "default")
                .workloadType("Deployment")
                .workloadName("sleep")
                .canonicalName("sleep")
                .canonicalRevision("v1")
                .build();

        assertThat(Baggage.of(source))
                .isEqualTo("k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=sleep,"
                        + "service.name=sleep,service.version=v1");
    }

    @Test
    void leavesOutEmptyAndUnsafeValues() {
        Workload source = Workload.builder("Kubernetes//Pod/default/odd", "default")
                .clusterId("")
                .canonicalName("a,b")
                .build();

        assertThat(Baggage.of(source)).isEqualTo("k8s.namespace.name=default");
    }
}
