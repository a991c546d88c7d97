package io.ambientjava.cni.runtime;

import java.nio.file.Path;

/** A pod sandbox as a runtime knows it: the container id, the pod's Kubernetes identity, and its netns. */
public record Sandbox(String containerId, String namespace, String name, String uid, Path netns) {
    /** {@code CNI_ARGS} as kubelet's runtimes pass it. */
    public String cniArgs() {
        return "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + namespace + ";K8S_POD_NAME=" + name
                + ";K8S_POD_INFRA_CONTAINER_ID=" + containerId + ";K8S_POD_UID=" + uid;
    }
}
