package io.ambientjava.istiod.xds;

import java.util.Map;

/**
 * A connected xDS client as the server sees it.
 *
 * @param nodeId the node id the client sent (ztunnel: {@code ztunnel~<ip>~<pod>.<ns>~<ns>.svc.cluster.local})
 * @param ackedVersions per type URL, the resource versions the client has accepted
 * @param proxy the waypoint or gateway the client runs as ({@code waypoint/<ns>/<name>}), empty for a ztunnel
 */
public record XdsClientView(String nodeId, Map<String, Map<String, String>> ackedVersions, String proxy) {

    public XdsClientView {
        ackedVersions = Map.copyOf(ackedVersions);
        java.util.Objects.requireNonNull(proxy, "proxy");
    }

    public XdsClientView(String nodeId, Map<String, Map<String, String>> ackedVersions) {
        this(nodeId, ackedVersions, "");
    }
}
