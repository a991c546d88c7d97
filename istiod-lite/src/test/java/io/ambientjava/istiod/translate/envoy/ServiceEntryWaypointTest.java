package io.ambientjava.istiod.translate.envoy;

import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.translate;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.waypoint;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.with;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ServiceEntries behind a waypoint (egress through it, as Istio's ambient egress gateway): the namespace's (or the
 * entry's own) {@code istio.io/use-waypoint} gives the waypoint a listener on the entry's address per port, routes
 * from the VirtualServices for its host, and a cluster per port: EDS with the entry's IP endpoints for STATIC, an
 * Envoy DNS cluster with the names in its own assignment for DNS and DNS_ROUND_ROBIN.
 */
class ServiceEntryWaypointTest {

    private static final String LISTENER = "inbound-vip|80|http|api.external.test";
    private static final String CLUSTER = "outbound|80||api.external.test";

    private static String entry(String namespace, String resolution, String endpoints) {
        return """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: external-api, namespace: %s}
                spec:
                  hosts: [api.external.test]
                  addresses: [198.19.3.10]
                  ports: [{number: 80, name: http, protocol: HTTP, targetPort: 8082}]
                  location: MESH_EXTERNAL
                  resolution: %s
                %s
                """.formatted(namespace, resolution, endpoints.isEmpty() ? "" : "  endpoints: " + endpoints);
    }

    @Test
    void aStaticEntryInAWaypointNamespaceGetsAListenerOnItsAddressAndAnEdsCluster() {
        var translation = translate(with(entry("default", "STATIC", "[{address: 198.18.5.5, ports: {http: 9090}}]")));
        ProxyResources waypoint = waypoint(translation);

        assertThat(waypoint.listeners()).containsKey(LISTENER);
        assertThat(waypoint.listeners()
                        .get(LISTENER)
                        .getAddress()
                        .getSocketAddress()
                        .getAddress())
                .isEqualTo("198.19.3.10");
        Cluster cluster = waypoint.clusters().get(CLUSTER);
        assertThat(cluster.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
        ClusterLoadAssignment assignment = waypoint.endpoints().get(CLUSTER);
        List<LbEndpoint> endpoints = assignment.getEndpoints(0).getLbEndpointsList();
        assertThat(endpoints).singleElement().satisfies(e -> {
            assertThat(e.getEndpoint().getAddress().getSocketAddress().getAddress())
                    .isEqualTo("198.18.5.5");
            assertThat(e.getEndpoint().getAddress().getSocketAddress().getPortValue())
                    .as("the endpoint's own port for 'http'")
                    .isEqualTo(9090);
            assertThat(e.getMetadata()
                            .getFilterMetadataOrThrow("ambient")
                            .getFieldsOrThrow("hbone")
                            .getBoolValue())
                    .as("outside the mesh: plain TCP")
                    .isFalse();
            assertThat(e.getMetadata()
                            .getFilterMetadataOrThrow("istio")
                            .getFieldsOrThrow("workload")
                            .getStringValue())
                    .startsWith("external-api;default;");
        });
        assertThat(translation.warnings()).isEmpty();
    }

    @Test
    void aDnsEntryIsAStrictDnsClusterWithItsNamesInItsOwnAssignment() {
        var translation = translate(with(entry("default", "DNS", "[{address: api-1.external.test}]")));
        ProxyResources waypoint = waypoint(translation);

        Cluster cluster = waypoint.clusters().get(CLUSTER);
        assertThat(cluster.getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
        assertThat(cluster.hasEdsClusterConfig()).isFalse();
        assertThat(cluster.getDnsLookupFamily()).isEqualTo(Cluster.DnsLookupFamily.V4_ONLY);
        assertThat(cluster.getDnsRefreshRate().getSeconds()).isEqualTo(60);
        assertThat(cluster.getRespectDnsTtl()).isTrue();
        assertThat(cluster.getLoadAssignment().getClusterName()).isEqualTo(CLUSTER);
        assertThat(cluster.getLoadAssignment().getEndpoints(0).getLbEndpointsList())
                .singleElement()
                .satisfies(e -> {
                    assertThat(e.getEndpoint().getAddress().getSocketAddress().getAddress())
                            .isEqualTo("api-1.external.test");
                    assertThat(e.getEndpoint().getAddress().getSocketAddress().getPortValue())
                            .isEqualTo(8082);
                });
        assertThat(waypoint.endpoints()).as("nothing by EDS for a DNS cluster").doesNotContainKey(CLUSTER);
        assertThat(waypoint.listeners()).containsKey(LISTENER);
    }

    @Test
    void aDnsRoundRobinEntryWithSeveralEndpointsUsesTheFirstAndSaysSo() {
        var translation = translate(with(entry(
                "default", "DNS_ROUND_ROBIN", "[{address: api-1.external.test}, {address: api-2.external.test}]")));
        Cluster cluster = waypoint(translation).clusters().get(CLUSTER);

        assertThat(cluster.getType()).isEqualTo(Cluster.DiscoveryType.LOGICAL_DNS);
        assertThat(cluster.getLoadAssignment().getEndpoints(0).getLbEndpointsList())
                .singleElement()
                .satisfies(e -> assertThat(
                                e.getEndpoint().getAddress().getSocketAddress().getAddress())
                        .isEqualTo("api-1.external.test"));
        assertThat(translation.warnings().toString()).contains("uses only the first endpoint of api.external.test");
    }

    @Test
    void aDnsRoundRobinEntryWithoutEndpointsIsALogicalDnsClusterToItsHost() {
        Cluster cluster = waypoint(translate(with(entry("default", "DNS_ROUND_ROBIN", ""))))
                .clusters()
                .get(CLUSTER);

        assertThat(cluster.getType()).isEqualTo(Cluster.DiscoveryType.LOGICAL_DNS);
        assertThat(cluster.getLoadAssignment()
                        .getEndpoints(0)
                        .getLbEndpoints(0)
                        .getEndpoint()
                        .getAddress()
                        .getSocketAddress()
                        .getAddress())
                .isEqualTo("api.external.test");
    }

    @Test
    void aVirtualServiceAndADestinationRuleForTheHostApplyAtTheWaypoint() throws Exception {
        var translation = translate(with(entry("default", "DNS", ""), """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: external-api, namespace: default}
                spec:
                  hosts: [api.external.test]
                  http:
                  - timeout: 3s
                    route: [{destination: {host: api.external.test, port: {number: 80}}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: external-api, namespace: default}
                spec:
                  host: api.external.test
                  trafficPolicy:
                    tls: {mode: SIMPLE, sni: api.external.test, insecureSkipVerify: true}
                """));
        ProxyResources waypoint = waypoint(translation);

        RouteConfiguration routes = waypoint.routes().get("api.external.test:80");
        assertThat(routes.getVirtualHosts(0).getRoutesList()).singleElement().satisfies(r -> {
            assertThat(r.getRoute().getCluster()).isEqualTo(CLUSTER);
            assertThat(r.getRoute().getTimeout().getSeconds()).isEqualTo(3);
        });
        Cluster cluster = waypoint.clusters().get(CLUSTER);
        assertThat(cluster.getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
        UpstreamTlsContext tls = cluster.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
        assertThat(tls.getSni()).as("TLS originated by the waypoint (egress)").isEqualTo("api.external.test");
    }

    @Test
    void anEntryOutsideAWaypointNamespaceIsNotServedAndItsOwnLabelBindsIt() {
        String legacy = """
                apiVersion: v1
                kind: Namespace
                metadata: {name: legacy}
                """;
        assertThat(waypoint(translate(with(legacy, entry("legacy", "DNS", "")))).listeners())
                .doesNotContainKey(LISTENER);

        String labelled = entry("legacy", "DNS", "")
                .replace(
                        "metadata: {name: external-api, namespace: legacy}",
                        "metadata: {name: external-api, namespace: legacy, labels: {istio.io/use-waypoint: waypoint,"
                                + " istio.io/use-waypoint-namespace: default}}");
        assertThat(waypoint(translate(with(legacy, labelled))).listeners()).containsKey(LISTENER);
    }

    @Test
    void workloadEntriesAServiceOrAnEntrySelectsAreEndpointsAtTheirOwnPorts() {
        var translation = translate(with("""
                apiVersion: v1
                kind: Service
                metadata: {name: billing, namespace: default}
                spec: {clusterIP: 198.19.0.30, selector: {app: billing}, ports: [{name: http, port: 80, targetPort: 8080}]}
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: billing-vm, namespace: default}
                spec: {address: 198.18.9.20, labels: {app: billing, version: v2}, ports: {http: 8081}}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: billing-vms, namespace: default}
                spec:
                  hosts: [billing.vms.test]
                  addresses: [198.19.3.11]
                  ports: [{number: 80, name: http, protocol: HTTP, targetPort: 8080}]
                  resolution: STATIC
                  workloadSelector: {labels: {app: billing}}
                """));
        ProxyResources waypoint = waypoint(translation);

        for (String cluster :
                List.of("outbound|80||billing.default.svc.cluster.local", "outbound|80||billing.vms.test")) {
            assertThat(waypoint.endpoints().get(cluster).getEndpoints(0).getLbEndpointsList())
                    .as(cluster)
                    .singleElement()
                    .satisfies(e -> {
                        assertThat(e.getEndpoint()
                                        .getAddress()
                                        .getSocketAddress()
                                        .getAddress())
                                .isEqualTo("198.18.9.20");
                        assertThat(e.getEndpoint()
                                        .getAddress()
                                        .getSocketAddress()
                                        .getPortValue())
                                .isEqualTo(8081);
                        assertThat(e.getMetadata()
                                        .getFilterMetadataOrThrow("istio")
                                        .getFieldsOrThrow("workload")
                                        .getStringValue())
                                .isEqualTo("billing-vm;default;billing;v2;Kubernetes");
                    });
        }
        assertThat(translation.warnings()).isEmpty();
    }

    @Test
    void anEntryWithoutAddressGetsOneAllocatedAndTheWaypointListensOnIt() {
        var translation = new EnvoyTranslator(BookinfoMesh.SETTINGS.withAutoAllocateRange(
                        io.ambientjava.istiod.config.IpPrefix.parse("198.19.254.0/24")))
                .translate(with(entry("default", "DNS", "").replace("  addresses: [198.19.3.10]\n", "")));

        assertThat(waypoint(translation)
                        .listeners()
                        .get(LISTENER)
                        .getAddress()
                        .getSocketAddress()
                        .getAddress())
                .startsWith("198.19.254.");
    }

    @Test
    void anEntryWithoutAddressThatOptsOutOfAllocationIsReportedForTheWaypoint() {
        var translation = translate(with(entry("default", "DNS", "")
                .replace("  addresses: [198.19.3.10]\n", "")
                .replace(
                        "metadata: {name: external-api, namespace: default}",
                        "metadata: {name: external-api, namespace: default,"
                                + " labels: {networking.istio.io/enable-autoallocate-ip: \"false\"}}")));

        assertThat(waypoint(translation).listeners()).doesNotContainKey(LISTENER);
        assertThat(translation.warnings().toString())
                .contains("host api.external.test has no address (spec.addresses); waypoint default/waypoint cannot"
                        + " listen for it");
    }
}
