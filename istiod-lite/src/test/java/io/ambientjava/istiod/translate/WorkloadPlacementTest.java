package io.ambientjava.istiod.translate;

import static io.ambientjava.istiod.testsupport.Configs.ambientNamespace;
import static io.ambientjava.istiod.testsupport.Configs.join;
import static io.ambientjava.istiod.testsupport.Configs.pod;
import static io.ambientjava.istiod.testsupport.Configs.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.api.workload.Locality;
import org.junit.jupiter.api.Test;

/**
 * A workload's locality, which ztunnel ranks endpoints by for PreferClose services, and an entry's capacity, which
 * it weighs them by, read as Istio reads them.
 */
class WorkloadPlacementTest {

    private static final String NODE = """
            apiVersion: v1
            kind: Node
            metadata:
              name: node-a
              labels:
                topology.kubernetes.io/region: eu-west
                topology.kubernetes.io/zone: eu-west-1a
                topology.istio.io/subzone: rack-7
            """;
    private static final String OLD_STYLE_NODE = """
            apiVersion: v1
            kind: Node
            metadata:
              name: node-b
              labels: {failure-domain.beta.kubernetes.io/region: us-east, failure-domain.beta.kubernetes.io/zone: us-east-1b}
            """;

    private final AmbientTranslator translator = new AmbientTranslator(MeshSettings.defaults());

    private Locality localityOf(String uid, String... docs) {
        var translation = translator.translate(snapshot(join(docs)));
        return translation.addresses().get(uid).getWorkload().getLocality();
    }

    @Test
    void aPodTakesItsNodesTopologyLabels() {
        assertThat(localityOf(
                        "Kubernetes//Pod/shop/web-0",
                        ambientNamespace("shop"),
                        NODE,
                        pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web")))
                .isEqualTo(Locality.newBuilder()
                        .setRegion("eu-west")
                        .setZone("eu-west-1a")
                        .setSubzone("rack-7")
                        .build());
        assertThat(localityOf(
                        "Kubernetes//Pod/shop/web-1",
                        ambientNamespace("shop"),
                        OLD_STYLE_NODE,
                        pod("shop", "web-1", "198.18.1.6", "web", "node-b", "app=web")))
                .isEqualTo(Locality.newBuilder()
                        .setRegion("us-east")
                        .setZone("us-east-1b")
                        .build());
    }

    @Test
    void aPodsOwnLocalityLabelWinsOverItsNode() {
        assertThat(localityOf(
                        "Kubernetes//Pod/shop/web-0",
                        ambientNamespace("shop"),
                        NODE,
                        pod("shop", "web-0", "198.18.1.5", "web", "node-a", "topology.istio.io/locality=ap.ap-1.r2")))
                .isEqualTo(Locality.newBuilder()
                        .setRegion("ap")
                        .setZone("ap-1")
                        .setSubzone("r2")
                        .build());
        assertThat(localityOf(
                        "Kubernetes//Pod/shop/web-0",
                        ambientNamespace("shop"),
                        pod("shop", "web-0", "198.18.1.5", "web", "node-a", "istio-locality=ap.ap-2")))
                .isEqualTo(Locality.newBuilder().setRegion("ap").setZone("ap-2").build());
    }

    @Test
    void aPodOnAnUnknownOrUnlabelledNodeHasNoLocality() {
        assertThat(localityOf(
                        "Kubernetes//Pod/shop/web-0",
                        ambientNamespace("shop"),
                        pod("shop", "web-0", "198.18.1.5", "web", "node-z", "app=web")))
                .isEqualTo(Locality.getDefaultInstance());
    }

    @Test
    void aWorkloadEntryTakesItsLocalityField() {
        String entry = """
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: vm-1, namespace: shop}
                spec: {address: 198.18.7.1, labels: {app: web}, locality: eu-west/eu-west-1c}
                """;
        assertThat(localityOf(
                        "Kubernetes/networking.istio.io/WorkloadEntry/shop/vm-1", ambientNamespace("shop"), entry))
                .isEqualTo(Locality.newBuilder()
                        .setRegion("eu-west")
                        .setZone("eu-west-1c")
                        .build());
    }

    @Test
    void anEntrysWeightIsItsCapacity() {
        String entries = """
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: vm-1, namespace: shop}
                spec: {address: 198.18.7.1, labels: {app: web}, weight: 3}
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: vm-2, namespace: shop}
                spec: {address: 198.18.7.2, labels: {app: web}}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: ledger, namespace: shop}
                spec:
                  hosts: [ledger.example.com]
                  addresses: [198.19.7.9]
                  ports: [{number: 443, name: tls, protocol: TLS}]
                  resolution: STATIC
                  endpoints: [{address: 198.18.7.3, weight: 5, locality: eu/eu-b}]
                """;
        var translation = translator.translate(snapshot(join(ambientNamespace("shop"), entries)));
        var vm1 = translation
                .addresses()
                .get("Kubernetes/networking.istio.io/WorkloadEntry/shop/vm-1")
                .getWorkload();
        var vm2 = translation
                .addresses()
                .get("Kubernetes/networking.istio.io/WorkloadEntry/shop/vm-2")
                .getWorkload();
        var endpoint = translation
                .addresses()
                .get("Kubernetes/networking.istio.io/ServiceEntry/shop/ledger/198.18.7.3")
                .getWorkload();
        assertThat(vm1.getCapacity().getValue()).isEqualTo(3);
        assertThat(vm2.hasCapacity()).isFalse();
        assertThat(endpoint.getCapacity().getValue()).isEqualTo(5);
        assertThat(endpoint.getLocality().getZone()).isEqualTo("eu-b");
    }
}
