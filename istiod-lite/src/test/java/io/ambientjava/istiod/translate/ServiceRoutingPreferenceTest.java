package io.ambientjava.istiod.translate;

import static io.ambientjava.istiod.testsupport.Configs.join;
import static io.ambientjava.istiod.testsupport.Configs.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.api.workload.LoadBalancing;
import io.ambientjava.api.workload.LoadBalancing.Scope;
import org.junit.jupiter.api.Test;

/**
 * A Service's (or ServiceEntry's) routing preference in workload xDS, as istiod writes it: {@code
 * internalTrafficPolicy}, {@code trafficDistribution} and the {@code networking.istio.io/traffic-distribution}
 * annotation on the Service or its namespace.
 */
class ServiceRoutingPreferenceTest {

    private final AmbientTranslator translator = new AmbientTranslator(MeshSettings.defaults());

    private static String namespace(String annotations) {
        return """
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop, annotations: {%s}}
                """.formatted(annotations);
    }

    private static String service(String name, String metadataExtra, String specExtra) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: %s, namespace: shop%s}
                spec: {clusterIP: 198.19.3.%d, selector: {app: web}, ports: [{name: http, port: 80}]%s}
                """.formatted(name, metadataExtra, Math.abs(name.hashCode() % 200) + 1, specExtra);
    }

    private LoadBalancing lbOf(String name, String... docs) {
        return translator
                .translate(snapshot(join(docs)))
                .addresses()
                .get("shop/" + name + ".shop.svc.cluster.local")
                .getService()
                .getLoadBalancing();
    }

    @Test
    void internalTrafficPolicyLocalAllowsOnlyTheCallersNode() {
        LoadBalancing lb = lbOf("local", namespace(""), service("local", "", ", internalTrafficPolicy: Local"));
        assertThat(lb.getRoutingPreferenceList()).containsExactly(Scope.NODE);
        assertThat(lb.getMode()).isEqualTo(LoadBalancing.Mode.STRICT);
    }

    @Test
    void preferCloseAndPreferSameZoneKeepTrafficInTheZoneAndPreferSameNodeOnTheNode() {
        for (String value : new String[] {"PreferClose", "PreferSameZone"}) {
            LoadBalancing lb = lbOf("zoned", namespace(""), service("zoned", "", ", trafficDistribution: " + value));
            assertThat(lb.getRoutingPreferenceList()).containsExactly(Scope.NETWORK, Scope.REGION, Scope.ZONE);
            assertThat(lb.getMode()).isEqualTo(LoadBalancing.Mode.FAILOVER);
        }
        LoadBalancing node =
                lbOf("noded", namespace(""), service("noded", "", ", trafficDistribution: PreferSameNode"));
        assertThat(node.getRoutingPreferenceList())
                .containsExactly(Scope.NETWORK, Scope.REGION, Scope.ZONE, Scope.SUBZONE, Scope.NODE);
    }

    @Test
    void theAnnotationOnTheServiceOrItsNamespaceSaysTheSameWhenTheSpecDoesNot() {
        LoadBalancing onService = lbOf(
                "annotated",
                namespace(""),
                service("annotated", ", annotations: {networking.istio.io/traffic-distribution: preferclose}", ""));
        assertThat(onService.getRoutingPreferenceList()).containsExactly(Scope.NETWORK, Scope.REGION, Scope.ZONE);

        LoadBalancing fromNamespace = lbOf(
                "plain",
                namespace("networking.istio.io/traffic-distribution: PreferSameNode"),
                service("plain", "", ""));
        assertThat(fromNamespace.getRoutingPreferenceList()).endsWith(Scope.NODE);

        LoadBalancing specWins = lbOf(
                "both",
                namespace("networking.istio.io/traffic-distribution: PreferSameNode"),
                service("both", "", ", trafficDistribution: PreferClose"));
        assertThat(specWins.getRoutingPreferenceList()).containsExactly(Scope.NETWORK, Scope.REGION, Scope.ZONE);

        assertThat(lbOf("any", namespace("networking.istio.io/traffic-distribution: Any"), service("any", "", "")))
                .isEqualTo(LoadBalancing.getDefaultInstance());
    }

    @Test
    void aServiceEntryTakesTheAnnotationToo() {
        String entry = """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: ledger, namespace: shop, annotations: {networking.istio.io/traffic-distribution: PreferClose}}
                spec:
                  hosts: [ledger.example.com]
                  addresses: [198.19.7.9]
                  ports: [{number: 443, name: tls, protocol: TLS}]
                  resolution: STATIC
                  endpoints: [{address: 198.18.7.3}]
                """;
        LoadBalancing lb = translator
                .translate(snapshot(join(namespace(""), entry)))
                .addresses()
                .get("shop/ledger.example.com")
                .getService()
                .getLoadBalancing();
        assertThat(lb.getRoutingPreferenceList()).containsExactly(Scope.NETWORK, Scope.REGION, Scope.ZONE);
    }
}
