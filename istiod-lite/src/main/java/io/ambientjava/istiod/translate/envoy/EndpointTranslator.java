package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.ambientjava.istiod.translate.LabelSelector;
import io.ambientjava.istiod.translate.MeshSettings;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A cluster's {@link ClusterLoadAssignment}: the pods behind the service (those matching the subset's labels for a
 * subset cluster), each at its IP and the target port, with the mesh facts the waypoint needs in
 * {@code filter_metadata}: {@code istio.workload} = {@code <pod>;<ns>;<app>;<version>;<cluster>}, and
 * {@code ambient.identity} (SPIFFE ID) and {@code ambient.hbone} (whether to tunnel to {@code <ip>:15008}).
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
                .sorted(Comparator.comparing(MeshServices.Backend::ip))
                .forEach(backend -> port.targetOn(backend.pod())
                        .ifPresent(target -> locality.addLbEndpoints(endpoint(backend, target, settings))));
        ClusterLoadAssignment.Builder assignment =
                ClusterLoadAssignment.newBuilder().setClusterName(clusterName);
        if (locality.getLbEndpointsCount() > 0) {
            assignment.addEndpoints(locality);
        }
        return assignment.build();
    }

    private static LbEndpoint endpoint(MeshServices.Backend backend, int target, MeshSettings settings) {
        Map<String, String> labels = backend.labels();
        String namespace = backend.pod().getMetadata().getNamespace();
        String app = first(
                labels,
                backend.pod().getMetadata().getName(),
                "service.istio.io/canonical-name",
                "app.kubernetes.io/name",
                "app");
        String version =
                first(labels, "latest", "service.istio.io/canonical-revision", "app.kubernetes.io/version", "version");
        String workload =
                String.join(";", backend.pod().getMetadata().getName(), namespace, app, version, settings.clusterId());
        Metadata metadata = Metadata.newBuilder()
                .putFilterMetadata(
                        "istio",
                        Struct.newBuilder()
                                .putFields(
                                        "workload",
                                        Value.newBuilder()
                                                .setStringValue(workload)
                                                .build())
                                .build())
                .putFilterMetadata(
                        "ambient",
                        Struct.newBuilder()
                                .putFields(
                                        "identity",
                                        Value.newBuilder()
                                                .setStringValue(backend.identity())
                                                .build())
                                .putFields(
                                        "hbone",
                                        Value.newBuilder()
                                                .setBoolValue(backend.hbone())
                                                .build())
                                .build())
                .build();
        return LbEndpoint.newBuilder()
                .setEndpoint(Endpoint.newBuilder()
                        .setAddress(Address.newBuilder()
                                .setSocketAddress(SocketAddress.newBuilder()
                                        .setAddress(backend.ip())
                                        .setPortValue(target))))
                .setHealthStatus(backend.ready() ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY)
                .setMetadata(metadata)
                .build();
    }

    private static String first(Map<String, String> labels, String fallback, String... keys) {
        for (String key : keys) {
            String value = labels.get(key);
            if (value != null && !value.isEmpty()) {
                return value;
            }
        }
        return fallback;
    }
}
