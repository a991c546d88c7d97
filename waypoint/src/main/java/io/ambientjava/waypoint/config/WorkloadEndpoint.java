package io.ambientjava.waypoint.config;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The mesh facts istiod-lite puts in {@code filter_metadata} about a pod the waypoint sends to (on an endpoint, or
 * on the filter chain of a pod's own address): whether to tunnel to it and the identity it must prove.
 *
 * @param hbone reach it through its ztunnel ({@code <ip>:15008}); else plain TCP
 * @param identity the SPIFFE ID its certificate must carry (required for HBONE)
 * @param workload {@code <pod>;<namespace>;<app>;<version>;<cluster>} from the {@code istio} metadata
 */
public record WorkloadEndpoint(boolean hbone, Optional<String> identity, Optional<String> workload) {

    public static final WorkloadEndpoint PLAIN = new WorkloadEndpoint(false, Optional.empty(), Optional.empty());

    public WorkloadEndpoint {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(workload, "workload");
    }

    /** This pod at {@code address}: the host an original-destination cluster connects to. */
    public EndpointConfig at(InetSocketAddress address) {
        return new EndpointConfig(address, 1, true, hbone, identity, workload);
    }

    /** From {@code filter_metadata["istio"].workload} and {@code filter_metadata["ambient"].identity / hbone}. */
    static WorkloadEndpoint fromMetadata(Metadata md, String path) {
        FieldGuard.onlyFields(md, path, Set.of("filter_metadata"));
        Optional<String> workload = Optional.empty();
        Optional<String> identity = Optional.empty();
        boolean hbone = false;
        Struct istio = md.getFilterMetadataMap().get("istio");
        if (istio != null && istio.containsFields("workload")) {
            workload = Optional.of(istio.getFieldsOrThrow("workload").getStringValue());
        }
        Struct ambient = md.getFilterMetadataMap().get("ambient");
        if (ambient != null) {
            Value id = ambient.getFieldsOrDefault("identity", null);
            if (id != null && !id.getStringValue().isEmpty()) {
                identity = Optional.of(id.getStringValue());
            }
            Value h = ambient.getFieldsOrDefault("hbone", null);
            hbone = h != null && h.getBoolValue();
        }
        if (hbone && identity.isEmpty()) {
            throw FieldGuard.invalid(
                    path + ".filter_metadata.ambient.identity", "an HBONE endpoint needs its identity");
        }
        return new WorkloadEndpoint(hbone, identity, workload);
    }
}
