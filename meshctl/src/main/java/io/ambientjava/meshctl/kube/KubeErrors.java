package io.ambientjava.meshctl.kube;

import io.ambientjava.meshctl.MeshctlException;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** One line for a failed API call: what was being done, and the API server's reason or why it was not reached. */
public final class KubeErrors {

    private KubeErrors() {}

    /** As {@link #explain(KubernetesClientException, String)}, naming the API server when it was not reached. */
    public static MeshctlException explain(KubernetesClientException e, String doing, KubeOptions kube) {
        MeshctlException plain = explain(e, doing);
        if (e.getCode() <= 0 && !kube.server().isEmpty()) {
            return new MeshctlException(
                    plain.getMessage()
                            .replace("the Kubernetes API server", "the Kubernetes API server " + kube.server()),
                    e);
        }
        return plain;
    }

    public static MeshctlException explain(KubernetesClientException e, String doing) {
        String reason;
        if (e.getStatus() != null && e.getStatus().getMessage() != null) {
            reason = e.getStatus().getMessage() + " (HTTP " + e.getCode() + ")";
        } else if (e.getCode() > 0) {
            reason = "HTTP " + e.getCode();
        } else {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            reason = "cannot reach the Kubernetes API server ("
                    + (root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage())
                    + ")";
        }
        return new MeshctlException(doing + ": " + reason, e);
    }
}
