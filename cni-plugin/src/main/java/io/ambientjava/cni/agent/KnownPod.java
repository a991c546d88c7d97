package io.ambientjava.cni.agent;

import java.nio.file.Path;

/**
 * A pod the runtime told the node agent about (CNI ADD), in the mesh or not: enough to enroll or unenroll it
 * later when labels change, and to find it again after the agent restarts.
 */
public record KnownPod(
        String uid,
        String name,
        String namespace,
        String serviceAccount,
        String containerId,
        Path netns,
        boolean enrolled) {
    public KnownPod withEnrolled(boolean value) {
        return new KnownPod(uid, name, namespace, serviceAccount, containerId, netns, value);
    }

    public KnownPod withServiceAccount(String value) {
        return new KnownPod(uid, name, namespace, value, containerId, netns, enrolled);
    }
}
