package io.ambientjava.cni.agent.kubernetes;

import java.util.List;
import java.util.Map;

/**
 * A pod the API server says is scheduled to this node: who it is, its labels, and what the agent needs to find its
 * network namespace without a CNI call (its addresses).
 *
 * @param ips {@code status.podIPs} (or {@code status.podIP}); empty until the runtime has wired the pod
 * @param hostNetwork the pod shares the node's network namespace and is never enrolled
 * @param finished phase Succeeded or Failed: the sandbox is gone or going
 */
public record ScheduledPod(
        String uid,
        String namespace,
        String name,
        String serviceAccount,
        Map<String, String> labels,
        List<String> ips,
        boolean hostNetwork,
        boolean finished) {
    public ScheduledPod {
        labels = Map.copyOf(labels);
        ips = List.copyOf(ips);
    }

    /** Whether the pod has its own network namespace that could hold redirection rules now. */
    public boolean wired() {
        return !hostNetwork && !finished && !ips.isEmpty();
    }

    @Override
    public String toString() {
        return namespace + "/" + name + " (" + uid + ")";
    }
}
