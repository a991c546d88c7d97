package io.ambientjava.meshctl.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.meshctl.analyze.Analyzer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's config folder is valid Istio/Kubernetes YAML by istiod-lite's own parser and validator. */
class MeshConfigFolderTest {
    @TempDir
    Path dir;

    @Test
    void everythingTheDemoWritesPassesAnalyze() throws Exception {
        MeshConfigFolder folder = new MeshConfigFolder(dir);
        folder.writeBase(List.of(new DemoService("cart", "198.19.0.12"), new DemoService("payment", "198.19.0.13")));
        Map<DemoPod, String> ips = new LinkedHashMap<>();
        ips.put(new DemoPod("cart-v1", "cart", "v1", "shop", "cart", "node-a"), "198.18.1.2");
        ips.put(new DemoPod("payment-v1", "payment", "v1", "shop", "payment", "node-b"), "198.18.2.2");
        ips.put(new DemoPod("outside", "", "v1", "legacy", "default", "node-a"), "198.18.1.3");
        folder.writePods(ips);
        String policy = folder.writeAllowOnly("payment", "frontend");

        Analyzer.Report report = new Analyzer().analyze(List.of(dir));

        assertThat(report.problems()).isEmpty();
        assertThat(report.resources()).isEqualTo(3 + 2 + 1 + 3 + 1);
        assertThat(policy).contains("cluster.local/ns/shop/sa/frontend").contains("app: payment");
        assertThat(Files.readString(dir.resolve("00-namespaces.yaml"))).contains("istio.io/dataplane-mode: ambient");
        assertThat(Files.readString(dir.resolve("30-pods.yaml")))
                .contains("podIP: 198.18.2.2")
                .contains("nodeName: node-b");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void namespaceLabelsUserYamlAndNamespaceDefaultingPassAnalyze() throws Exception {
        MeshConfigFolder folder = new MeshConfigFolder(dir);
        folder.writeBase(List.of(DemoService.http("reviews", "198.19.1.11", "default")));
        folder.labelNamespace("default", "istio.io/use-waypoint", "waypoint");
        String written = folder.applyInNamespace("seed-13.yaml", """
                # a comment
                apiVersion: networking.istio.io/v1beta1
                kind: VirtualService
                metadata:
                  name: product-api
                spec:
                  hosts: [product-api]
                  http: [{route: [{destination: {host: product-api}}]}]
                """, "shop");
        folder.apply("own.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: extra}\n");

        Analyzer.Report report = new Analyzer().analyze(List.of(dir));

        assertThat(report.problems()).isEmpty();
        assertThat(written).contains("namespace: shop").contains("name: product-api");
        assertThat(Files.readString(dir.resolve("00-namespaces.yaml")))
                .contains(
                        "name: default\n  labels:\n    istio.io/dataplane-mode: ambient\n    istio.io/use-waypoint: waypoint");
        assertThat(folder.isAmbient("default")).isTrue();
        assertThat(folder.isAmbient("legacy")).isFalse();
        assertThat(folder.remove("own.yaml")).isTrue();
        assertThat(folder.remove("own.yaml")).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> folder.apply("../escape.yaml", "x: 1"))
                .hasMessageContaining("config file name must be a plain name ending in .yaml");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DemoService("x", "198.18.0.1"))
                .hasMessageContaining("VIP in 198.19.0.0/16");
    }

    @Test
    void aPodLabelIsWrittenWithThePodAndCanBeRemovedAgain() throws Exception {
        MeshConfigFolder folder = new MeshConfigFolder(dir);
        folder.writeBase(List.of(DemoService.http("ratings", "198.19.1.12", "default")));
        Map<DemoPod, String> ips = new LinkedHashMap<>();
        ips.put(new DemoPod("ratings-v1", "ratings", "v1", "default", "ratings", "node-b"), "198.18.2.4");
        folder.writePods(ips);

        folder.labelPod("default", "ratings-v1", "istio.io/use-waypoint", "ratings-pod-waypoint");
        assertThat(Files.readString(dir.resolve("30-pods.yaml")))
                .contains("labels: {app: ratings, version: v1, istio.io/use-waypoint: ratings-pod-waypoint}");
        assertThat(new Analyzer().analyze(List.of(dir)).problems()).isEmpty();

        folder.labelPod("default", "ratings-v1", "istio.io/use-waypoint", null);
        assertThat(Files.readString(dir.resolve("30-pods.yaml"))).contains("labels: {app: ratings, version: v1}");
        assertThatThrownBy(() -> folder.labelPod("default", "nobody", "k", "v"))
                .hasMessageContaining("no pod default/nobody");
    }

    @Test
    void caTokensNameEachNodesZtunnel() {
        String tokens = MeshConfigFolder.tokens(Map.of("node-a", "secret-a"));

        assertThat(tokens)
                .contains("token: secret-a")
                .contains("serviceAccount: ztunnel")
                .contains("node: node-a");
    }

    @Test
    void podUidIsTheWorkloadUidIstiodGives() {
        DemoPod pod = new DemoPod("cart-v1", "cart", "v1", "shop", "cart", "node-a");

        assertThat(pod.uid()).isEqualTo("Kubernetes//Pod/shop/cart-v1");
        assertThat(pod.principal()).isEqualTo("spiffe://cluster.local/ns/shop/sa/cart");
        assertThat(new DemoPod("outside", "", "v1", "legacy", "default", "node-a").servesApp())
                .isFalse();
    }
}
