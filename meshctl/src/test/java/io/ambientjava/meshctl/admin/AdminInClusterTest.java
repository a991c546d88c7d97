package io.ambientjava.meshctl.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlRun;
import io.ambientjava.meshctl.MockKubeconfig;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reaching a ztunnel in a cluster ({@code --node}, {@code --pod}): the pod is found through the API server; the mock
 * server cannot port-forward, so the forward itself fails, and that failure must be one clear line.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class AdminInClusterTest {

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    @Test
    void nodeWithoutZtunnelIsNamed() throws IOException {
        String kubeconfig = MockKubeconfig.write(dir, server).toString();
        MeshctlRun run = MeshctlRun.of("ztunnel-config", "workloads", "--node", "node-b", "--kubeconfig", kubeconfig);
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.errLines())
                .containsExactly("meshctl: no ztunnel pod (app=ztunnel) on node node-b in namespace istio-system");
    }

    @Test
    void forwardFailureIsOneLine() throws IOException {
        client.pods()
                .inNamespace("istio-system")
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("ztunnel-abcde")
                        .withNamespace("istio-system")
                        .addToLabels("app", "ztunnel")
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName("node-a")
                        .addNewContainer()
                        .withName("istio-proxy")
                        .withImage("ambient-java/ztunnel:latest")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        String kubeconfig = MockKubeconfig.write(dir, server).toString();
        MeshctlRun run = MeshctlRun.of("ztunnel-config", "workloads", "--node", "node-a", "--kubeconfig", kubeconfig);
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.err()).startsWith("meshctl: ").doesNotContain("\tat ");
        assertThat(run.errLines().getFirst())
                .startsWith("meshctl: reading /config_dump of pod istio-system/ztunnel-abcde through a port forward"
                        + " to 15000 failed: ");
    }
}
