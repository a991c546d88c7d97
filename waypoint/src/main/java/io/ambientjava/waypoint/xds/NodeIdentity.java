package io.ambientjava.waypoint.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.util.Objects;

/**
 * Who the waypoint is to istiod-lite: {@code waypoint~<ip>~<pod>.<ns>~<ns>.svc.cluster.local} plus metadata, or
 * {@code router~...} with {@code GATEWAY} for an ingress gateway.
 *
 * @param gateway for a waypoint the Gateway API {@code Gateway} name; for an ingress {@code <ns>/<gateway>}
 */
public record NodeIdentity(
        boolean ingress, String ip, String podName, String namespace, String serviceAccount, String gateway) {

    public NodeIdentity {
        Objects.requireNonNull(ip, "ip");
        Objects.requireNonNull(podName, "podName");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(serviceAccount, "serviceAccount");
        Objects.requireNonNull(gateway, "gateway");
    }

    public String id() {
        return (ingress ? "router" : "waypoint") + "~" + ip + "~" + podName + "." + namespace + "~" + namespace
                + ".svc.cluster.local";
    }

    public Node toNode() {
        Struct.Builder md = Struct.newBuilder()
                .putFields("NAMESPACE", string(namespace))
                .putFields("SERVICE_ACCOUNT", string(serviceAccount))
                .putFields("NAME", string(podName))
                .putFields("CLUSTER_ID", string("Kubernetes"))
                .putFields(ingress ? "GATEWAY" : "WAYPOINT", string(gateway));
        return Node.newBuilder().setId(id()).setMetadata(md).build();
    }

    private static Value string(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }
}
