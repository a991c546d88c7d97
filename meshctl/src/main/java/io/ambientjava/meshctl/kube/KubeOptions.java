package io.ambientjava.meshctl.kube;

import io.ambientjava.meshctl.MeshctlException;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How to reach a cluster: {@code --kubeconfig} and {@code --context}, else kubectl's defaults. */
public final class KubeOptions {

    @Option(
            names = "--kubeconfig",
            paramLabel = "FILE",
            description = "Kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).")
    Path kubeconfig;

    @Option(names = "--context", paramLabel = "NAME", description = "Kubeconfig context (default: the current one).")
    String context;

    /** A client for the chosen cluster; the caller closes it. */
    public KubernetesClient client() {
        Config config;
        if (kubeconfig != null) {
            String text;
            try {
                text = Files.readString(kubeconfig);
            } catch (IOException e) {
                throw new MeshctlException("--kubeconfig " + kubeconfig + ": cannot read: " + e.getMessage(), e);
            }
            try {
                config = Config.fromKubeconfig(context, text, kubeconfig.toString());
            } catch (RuntimeException e) {
                throw new MeshctlException("--kubeconfig " + kubeconfig + ": " + e.getMessage(), e);
            }
        } else {
            config = Config.autoConfigure(context);
        }
        config.setRequestRetryBackoffLimit(0);
        return new KubernetesClientBuilder().withConfig(config).build();
    }
}
