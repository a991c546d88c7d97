package io.ambientjava.istiod.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.ambientjava.istiod.translate.envoy.ProxyId;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.util.Optional;

/**
 * Which resources an xDS client gets, read from its {@link Node} as docs/waypoint-xds.md fixes it: a waypoint sends
 * {@code WAYPOINT} (its Gateway's name) and {@code NAMESPACE} in the metadata, an ingress gateway {@code GATEWAY}
 * ({@code <namespace>/<name>}); either gets the Envoy types of that proxy only. Every other client is a ztunnel and
 * gets the workload types.
 */
record ClientScope(Optional<ProxyId> proxy) {

    static final ClientScope ZTUNNEL = new ClientScope(Optional.empty());

    /** The scope a node asks for; an exception naming the missing or malformed metadata. */
    static ClientScope of(Node node) {
        Struct metadata = node.getMetadata();
        String waypoint = text(metadata, "WAYPOINT");
        String gateway = text(metadata, "GATEWAY");
        String namespace = text(metadata, "NAMESPACE");
        if (!waypoint.isEmpty()) {
            return new ClientScope(Optional.of(qualified(ProxyId.Type.WAYPOINT, waypoint, namespace, "WAYPOINT")));
        }
        if (!gateway.isEmpty()) {
            return new ClientScope(Optional.of(qualified(ProxyId.Type.GATEWAY, gateway, namespace, "GATEWAY")));
        }
        String id = node.getId();
        if (id.startsWith("waypoint~")) {
            throw new IllegalArgumentException(
                    "node '" + id + "' is a waypoint but its metadata has no WAYPOINT (the Gateway it runs as)");
        }
        if (id.startsWith("router~")) {
            throw new IllegalArgumentException(
                    "node '" + id + "' is a gateway but its metadata has no GATEWAY (<namespace>/<name>)");
        }
        return ZTUNNEL;
    }

    private static ProxyId qualified(ProxyId.Type type, String value, String namespace, String key) {
        int slash = value.indexOf('/');
        if (slash > 0 && slash < value.length() - 1 && value.indexOf('/', slash + 1) < 0) {
            return new ProxyId(type, value.substring(0, slash), value.substring(slash + 1));
        }
        if (slash < 0 && !namespace.isEmpty()) {
            return new ProxyId(type, namespace, value);
        }
        throw new IllegalArgumentException(
                "node metadata " + key + " '" + value + "' must be <namespace>/<name>, or a name with NAMESPACE set");
    }

    private static String text(Struct metadata, String key) {
        Value value = metadata.getFieldsMap().get(key);
        return value == null || value.getKindCase() != Value.KindCase.STRING_VALUE ? "" : value.getStringValue();
    }
}
