package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.translate.LabelSelector;
import io.ambientjava.istiod.translate.MeshSettings;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A cluster's {@link ClusterLoadAssignment}: the workloads behind the service (those matching the subset's labels
 * for a subset cluster), each at its address (an IP; a DNS name in a DNS cluster's own assignment) and target port, with the mesh facts the waypoint needs in
 * {@code filter_metadata} ({@link WorkloadMetadata}).
 */
final class EndpointTranslator {

    private EndpointTranslator() {}

    static ClusterLoadAssignment translate(
            String clusterName,
            MeshServices.MeshPort port,
            List<MeshServices.Backend> backends,
            Map<String, String> subsetLabels,
            MeshSettings settings) {
        LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder();
        backends.stream()
                .filter(b -> LabelSelector.selects(subsetLabels, b.labels()))
                .sorted(Comparator.comparing(MeshServices.Backend::address))
                .forEach(backend -> port.targetOn(backend)
                        .ifPresent(target -> locality.addLbEndpoints(endpoint(backend, target, settings))));
        ClusterLoadAssignment.Builder assignment =
                ClusterLoadAssignment.newBuilder().setClusterName(clusterName);
        if (locality.getLbEndpointsCount() > 0) {
            assignment.addEndpoints(locality);
        }
        return assignment.build();
    }

    private static LbEndpoint endpoint(MeshServices.Backend backend, int target, MeshSettings settings) {
        return LbEndpoint.newBuilder()
                .setEndpoint(Endpoint.newBuilder()
                        .setAddress(Address.newBuilder()
                                .setSocketAddress(SocketAddress.newBuilder()
                                        .setAddress(backend.address())
                                        .setPortValue(target))))
                .setHealthStatus(backend.ready() ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY)
                .setMetadata(WorkloadMetadata.of(backend, settings))
                .build();
    }
}
