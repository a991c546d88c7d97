package io.ambientjava.ztunnel.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Who this ztunnel is to the control plane, built the way upstream ztunnel builds its xDS node: id {@code
 * ztunnel~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local} and string metadata {@code NAME}, {@code
 * NAMESPACE}, {@code INSTANCE_IPS}, {@code NODE_NAME}.
 *
 * @param podName ztunnel's own pod name ({@code POD_NAME}), empty outside Kubernetes
 * @param podNamespace ztunnel's own namespace ({@code POD_NAMESPACE})
 * @param instanceIp ztunnel's own IP ({@code INSTANCE_IP}); loopback when unknown (upstream uses a fixed placeholder)
 * @param nodeName the node this ztunnel serves
 */
public record XdsNode(String podName, String podNamespace, String instanceIp, String nodeName) {

    public XdsNode {
        Objects.requireNonNull(podName, "podName");
        Objects.requireNonNull(podNamespace, "podNamespace");
        Objects.requireNonNull(instanceIp, "instanceIp");
        Objects.requireNonNull(nodeName, "nodeName");
    }

    /** From the environment variables upstream ztunnel reads, with {@code nodeName} as given. */
    public static XdsNode fromEnvironment(Map<String, String> env, String nodeName) {
        return new XdsNode(
                env.getOrDefault("POD_NAME", ""),
                env.getOrDefault("POD_NAMESPACE", ""),
                env.getOrDefault("INSTANCE_IP", "127.0.0.1"),
                nodeName);
    }

    public String id() {
        return "ztunnel~" + instanceIp + "~" + podName + "." + podNamespace + "~" + podNamespace + ".svc.cluster.local";
    }

    public Map<String, String> metadata() {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("NAME", podName);
        metadata.put("NAMESPACE", podNamespace);
        metadata.put("INSTANCE_IPS", instanceIp);
        metadata.put("NODE_NAME", nodeName);
        return metadata;
    }

    public Node toProto() {
        Struct.Builder metadata = Struct.newBuilder();
        metadata()
                .forEach((key, value) -> metadata.putFields(
                        key, Value.newBuilder().setStringValue(value).build()));
        return Node.newBuilder().setId(id()).setMetadata(metadata).build();
    }
}
