package io.ambientjava.cni.agent.kubernetes;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** How the node agent reaches the API server: a kubeconfig file, or the pod's own service account. */
public final class ApiServerConnection {
    private ApiServerConnection() {}

    /** The current context of a kubeconfig file, as kubectl would use it. */
    public static Config fromKubeconfig(Path kubeconfig) {
        Objects.requireNonNull(kubeconfig, "kubeconfig");
        if (!Files.isRegularFile(kubeconfig)) {
            throw new IllegalArgumentException("kubeconfig " + kubeconfig + " is not a readable file");
        }
        try {
            Config config = Config.fromKubeconfig(kubeconfig.toFile());
            // fabric8 falls back to a default server when the kubeconfig names none usable; kubectl refuses
            if (config.getCurrentContext() == null
                    || config.getCurrentContext().getContext() == null
                    || config.getMasterUrl() == null
                    || config.getMasterUrl().isBlank()) {
                throw new IllegalArgumentException(
                        "kubeconfig " + kubeconfig + " has no current context naming a cluster server");
            }
            return config;
        } catch (KubernetesClientException e) {
            throw new IllegalArgumentException("cannot read kubeconfig " + kubeconfig + ": " + e.getMessage(), e);
        }
    }

    /** The API server and token Kubernetes gives a pod ({@code KUBERNETES_SERVICE_HOST}, service account). */
    public static Config inCluster() {
        if (System.getenv(Config.KUBERNETES_SERVICE_HOST_PROPERTY) == null) {
            throw new IllegalArgumentException(
                    "--in-cluster: " + Config.KUBERNETES_SERVICE_HOST_PROPERTY + " is not set (not running in a pod?)");
        }
        return Config.autoConfigure(null);
    }
}
