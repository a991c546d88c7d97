package io.ambientjava.meshctl.install;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.meshctl.MeshctlRun;
import io.ambientjava.meshctl.MockKubeconfig;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshctl install} applies the whole install to an API server (fabric8's mock, CRUD mode). */
@EnableKubernetesMockClient(crud = true, https = false)
class InstallToClusterTest {

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    @Test
    void installsUpdatesAndUninstalls() throws IOException {
        String kubeconfig = MockKubeconfig.write(dir, server).toString();

        MeshctlRun install = MeshctlRun.of("install", "--overlay", "production", "--kubeconfig", kubeconfig);
        assertThat(install.exit()).as(install.err()).isZero();
        assertThat(install.out())
                .contains(
                        "namespace/istio-system created",
                        "customresourcedefinition.apiextensions.k8s.io/virtualservices.networking.istio.io created",
                        "daemonset.apps/ztunnel created",
                        "validatingwebhookconfiguration.admissionregistration.k8s.io/istio-validator-istio-system"
                                + " created");
        assertThat(install.out().lines().filter(l -> l.endsWith(" created"))).hasSizeGreaterThan(25);

        DaemonSet ztunnel = client.apps()
                .daemonSets()
                .inNamespace("istio-system")
                .withName("ztunnel")
                .get();
        assertThat(ztunnel.getSpec().getTemplate().getSpec().getPriorityClassName())
                .isEqualTo("system-node-critical");
        Deployment istiod = client.apps()
                .deployments()
                .inNamespace("istio-system")
                .withName("istiod")
                .get();
        assertThat(istiod.getSpec().getReplicas()).isEqualTo(2);
        assertThat(client.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .list()
                        .getItems())
                .hasSizeGreaterThanOrEqualTo(17);

        MeshctlRun again = MeshctlRun.of("install", "--kubeconfig", kubeconfig);
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(again.out()).contains("deployment.apps/istiod configured").doesNotContain(" created");
        assertThat(client.apps()
                        .deployments()
                        .inNamespace("istio-system")
                        .withName("istiod")
                        .get()
                        .getSpec()
                        .getReplicas())
                .isEqualTo(1);

        MeshctlRun uninstall = MeshctlRun.of("install", "--uninstall", "--kubeconfig", kubeconfig);
        assertThat(uninstall.exit()).as(uninstall.err()).isZero();
        assertThat(uninstall.out())
                .contains("daemonset.apps/ztunnel deleted", "namespace/istio-system kept")
                .contains("customresourcedefinition.apiextensions.k8s.io/gateways.gateway.networking.k8s.io kept");
        assertThat(client.apps()
                        .daemonSets()
                        .inNamespace("istio-system")
                        .withName("ztunnel")
                        .get())
                .isNull();
        assertThat(client.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .list()
                        .getItems())
                .isNotEmpty();
    }

    @Test
    void unreachableClusterIsOneLine() throws IOException {
        MeshctlRun run = MeshctlRun.of(
                "install", "--kubeconfig", MockKubeconfig.unreachable(dir).toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.errLines())
                .singleElement()
                .asString()
                .startsWith("meshctl: installing: cannot reach the Kubernetes API server");
    }
}
