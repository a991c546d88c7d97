package io.ambientjava.cni.agent.kubernetes;

import io.ambientjava.cni.agent.podstate.PodState;
import java.util.Map;

/**
 * One view of the API server from this node: the {@link PodState} enrollment is decided by (every namespace's
 * labels, this node's pods), and this node's pods by uid with what discovery needs.
 */
public record NodePods(PodState state, Map<String, ScheduledPod> pods) {
    public static final NodePods EMPTY = new NodePods(PodState.EMPTY, Map.of());

    public NodePods {
        pods = Map.copyOf(pods);
    }
}
