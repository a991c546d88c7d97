package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.ambientjava.istiod.translate.MeshSettings;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import java.util.Map;

/**
 * The mesh facts a waypoint needs to reach a pod, as Envoy {@code filter_metadata}: {@code istio.workload} =
 * {@code <pod>;<namespace>;<app>;<version>;<cluster>}, {@code ambient.identity} (its SPIFFE ID) and
 * {@code ambient.hbone} (whether to tunnel to {@code <ip>:15008}). The same on a ClusterLoadAssignment's endpoint and
 * on the {@code inbound-pod} filter chain of a pod addressed directly.
 */
final class WorkloadMetadata {

    private WorkloadMetadata() {}

    static Metadata of(MeshServices.Backend backend, MeshSettings settings) {
        Map<String, String> labels = backend.labels();
        String name = backend.name();
        String namespace = backend.namespace();
        String app = first(labels, name, "service.istio.io/canonical-name", "app.kubernetes.io/name", "app");
        String version =
                first(labels, "latest", "service.istio.io/canonical-revision", "app.kubernetes.io/version", "version");
        String workload = String.join(";", name, namespace, app, version, settings.clusterId());
        return Metadata.newBuilder()
                .putFilterMetadata(
                        "istio",
                        Struct.newBuilder()
                                .putFields("workload", string(workload))
                                .build())
                .putFilterMetadata(
                        "ambient",
                        Struct.newBuilder()
                                .putFields("identity", string(backend.identity()))
                                .putFields(
                                        "hbone",
                                        Value.newBuilder()
                                                .setBoolValue(backend.hbone())
                                                .build())
                                .build())
                .build();
    }

    private static Value string(String value) {
        return Value.newBuilder().setStringValue(value).build();
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
