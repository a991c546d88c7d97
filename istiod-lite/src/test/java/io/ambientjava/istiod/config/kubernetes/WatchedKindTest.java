package io.ambientjava.istiod.config.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ambientjava.istiod.config.ResourceKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatchedKindTest {

    @Test
    void everyKindIsWatchedAtItsNewestVersionUnderItsPlural() {
        assertThat(WatchedKind.all()).extracting(WatchedKind::kind).containsExactly(ResourceKind.values());
        assertThat(WatchedKind.all())
                .extracting(WatchedKind::listPath)
                .contains(
                        "/api/v1/namespaces",
                        "/api/v1/pods",
                        "/api/v1/nodes",
                        "/apis/discovery.k8s.io/v1/endpointslices",
                        "/apis/networking.istio.io/v1/serviceentries",
                        "/apis/networking.istio.io/v1alpha3/envoyfilters",
                        "/apis/security.istio.io/v1/authorizationpolicies",
                        "/apis/telemetry.istio.io/v1/telemetries",
                        "/apis/gateway.networking.k8s.io/v1/gatewayclasses",
                        "/apis/gateway.networking.k8s.io/v1/grpcroutes");
        WatchedKind pods = WatchedKind.newest(ResourceKind.POD);
        assertThat(pods.objectPath("shop", "web-0")).isEqualTo("/api/v1/namespaces/shop/pods/web-0");
        assertThat(WatchedKind.newest(ResourceKind.NODE).objectPath("ignored", "node-a"))
                .isEqualTo("/api/v1/nodes/node-a");
        assertThat(WatchedKind.newest(ResourceKind.VIRTUAL_SERVICE).apiVersion())
                .isEqualTo("networking.istio.io/v1");
    }

    @Test
    void aVersionIstiodLiteDoesNotReadIsRefused() {
        assertThatThrownBy(() -> new WatchedKind(ResourceKind.POD, "v2", "pods"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Pod is not read at version v2");
    }

    @Test
    void optionsRefuseNegativeDurations() {
        assertThatThrownBy(() -> KubernetesSource.Options.defaults().withDebounce(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(KubernetesSource.Options.defaults()
                        .withKinds(List.of(WatchedKind.newest(ResourceKind.POD)))
                        .kinds())
                .hasSize(1);
    }

    @Test
    void inClusterNeedsToRunInAPod() {
        assumeTrue(System.getenv("KUBERNETES_SERVICE_HOST") == null, "running in a pod");
        assertThatThrownBy(KubernetesConnection::inCluster)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("KUBERNETES_SERVICE_HOST is not set");
    }

    @Test
    void kubeconfigProblemsAreNamed(@TempDir Path temp) throws Exception {
        assertThatThrownBy(() -> KubernetesConnection.fromKubeconfig(temp.resolve("absent")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("absent")
                .hasMessageContaining("not a readable file");
        Path noServer = Files.writeString(temp.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: []
                contexts: []
                users: []
                """);
        assertThatThrownBy(() -> KubernetesConnection.fromKubeconfig(noServer))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kubeconfig");
        Path good = Files.writeString(temp.resolve("good"), """
                apiVersion: v1
                kind: Config
                clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
                users: [{name: u, user: {token: t}}]
                contexts: [{name: x, context: {cluster: c, user: u, namespace: shop}}]
                current-context: x
                """);
        var config = KubernetesConnection.fromKubeconfig(good);
        assertThat(config.getMasterUrl()).startsWith("https://127.0.0.1:6443");
        assertThat(config.getNamespace()).isEqualTo("shop");
    }
}
