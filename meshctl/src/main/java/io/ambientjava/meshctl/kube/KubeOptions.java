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

    private String server = "";

    /** The API server of the last client made, for messages. */
    public String server() {
        return server;
    }

    private static boolean anyClusterConfigured() {
        String env = System.getenv("KUBECONFIG");
        if (env != null && !env.isBlank()) {
            return true;
        }
        if (System.getenv("KUBERNETES_SERVICE_HOST") != null) {
            return true;
        }
        return Files.isRegularFile(Path.of(System.getProperty("user.home"), ".kube", "config"));
    }

    /** A client for the chosen cluster; the caller closes it. */
    public KubernetesClient client() {
        Config config;
        if (kubeconfig != null) {
            // Read once here so a missing or unreadable file is reported plainly, before fabric8 parses it.
            try {
                Files.readString(kubeconfig);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new MeshctlException("--kubeconfig " + kubeconfig + ": no such file", e);
            } catch (IOException e) {
                throw new MeshctlException("--kubeconfig " + kubeconfig + ": cannot read: " + e.getMessage(), e);
            }
            try {
                config = Config.fromKubeconfig(context, kubeconfig.toFile());
                server = config.getMasterUrl();
            } catch (RuntimeException e) {
                throw new MeshctlException("--kubeconfig " + kubeconfig + ": " + e.getMessage(), e);
            }
        } else {
            if (!anyClusterConfigured()) {
                throw new MeshctlException("no cluster to talk to: no kubeconfig (--kubeconfig, $KUBECONFIG,"
                        + " ~/.kube/config) and not running inside a cluster (use --dry-run or --render to work"
                        + " without one)");
            }
            config = Config.autoConfigure(context);
        }
        server = config.getMasterUrl();
        config.setRequestRetryBackoffLimit(0);
        return new KubernetesClientBuilder().withConfig(config).build();
    }
}
