package io.ambientjava.istiod.xds;

import java.util.Map;

/**
 * A connected xDS client as the server sees it.
 *
 * @param nodeId the node id the client sent (ztunnel: {@code ztunnel~<ip>~<pod>.<ns>~<ns>.svc.cluster.local})
 * @param ackedVersions per type URL, the resource versions the client has accepted
 */
public record XdsClientView(String nodeId, Map<String, Map<String, String>> ackedVersions) {

    public XdsClientView {
        ackedVersions = Map.copyOf(ackedVersions);
    }
}
