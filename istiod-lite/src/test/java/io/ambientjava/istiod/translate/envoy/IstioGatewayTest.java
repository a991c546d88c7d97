package io.ambientjava.istiod.translate.envoy;

import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.translate;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.with;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import org.junit.jupiter.api.Test;

/** An Istio Gateway's server hosts decide which bound VirtualService hosts become virtual hosts. */
class IstioGatewayTest {

    private static String gateway(String hosts) {
        return """
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: edge, namespace: default}
                spec:
                  selector: {istio: ingressgateway}
                  servers:
                  - port: {number: 80, name: http, protocol: HTTP}
                    hosts: %s
                  - port: {number: 443, name: https, protocol: HTTPS}
                    hosts: ["*"]
                    tls: {mode: SIMPLE, credentialName: edge-cert}
                """.formatted(hosts);
    }

    private static final String BOUND = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: shop, namespace: default}
            spec:
              hosts: [shop.example.com, admin.example.com]
              gateways: [default/edge]
              http:
              - match: [{uri: {prefix: /}, gateways: [edge]}]
                route: [{destination: {host: reviews}}]
              - match: [{uri: {prefix: /mesh-only}, gateways: [mesh]}]
                route: [{destination: {host: ratings}}]
            """;

    @Test
    void serverHostsAdmitVirtualServiceHostsAndMatchGatewaysFilterRoutes() {
        var translation = translate(with(gateway("[\"./*.example.com\"]"), BOUND));
        ProxyResources edge = translation.of(ProxyId.gateway("default", "edge"));
        assertThat(edge.listeners()).containsOnlyKeys("0.0.0.0_80");
        var hosts = edge.routes().get("http.80").getVirtualHostsList();
        assertThat(hosts)
                .extracting(VirtualHost::getName)
                .containsExactly("admin.example.com:80", "shop.example.com:80");
        assertThat(hosts.get(1).getDomainsList()).containsExactly("shop.example.com", "shop.example.com:80");
        assertThat(hosts.get(1).getRoutesList())
                .singleElement()
                .satisfies(r -> assertThat(r.getRoute().getCluster())
                        .isEqualTo("outbound|9080||reviews.default.svc.cluster.local"));
        assertThat(translation.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString()).contains("443").contains("not supported yet"));
    }

    @Test
    void aServerHostForAnotherNamespaceAdmitsNothingFromThisOne() {
        ProxyResources edge = translate(with(gateway("[\"other/*\"]"), BOUND)).of(ProxyId.gateway("default", "edge"));
        assertThat(edge.routes().get("http.80").getVirtualHostsList()).isEmpty();
        assertThat(edge.clusters()).isEmpty();
    }

    @Test
    void onlyOneServerHostAdmitted() {
        ProxyResources edge =
                translate(with(gateway("[shop.example.com]"), BOUND)).of(ProxyId.gateway("default", "edge"));
        assertThat(edge.routes().get("http.80").getVirtualHostsList())
                .extracting(VirtualHost::getName)
                .containsExactly("shop.example.com:80");
    }

    @Test
    void gatewaysWithTheSameSelectorAreOneProxy() {
        String second = """
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: api, namespace: default}
                spec:
                  selector: {istio: ingressgateway}
                  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [api.example.com]}]
                """;
        String api = """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: api, namespace: default}
                spec:
                  hosts: [api.example.com]
                  gateways: [api]
                  http: [{route: [{destination: {host: product-api}}]}]
                """;
        var translation = translate(with(gateway("[shop.example.com]"), BOUND, second, api));
        ProxyResources edge = translation.of(ProxyId.gateway("default", "edge"));
        assertThat(edge).isEqualTo(translation.of(ProxyId.gateway("default", "api")));
        assertThat(edge.routes().get("http.80").getVirtualHostsList())
                .extracting(VirtualHost::getName)
                .containsExactly("api.example.com:80", "shop.example.com:80");
    }
}
