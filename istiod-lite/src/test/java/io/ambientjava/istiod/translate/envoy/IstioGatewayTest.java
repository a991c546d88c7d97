package io.ambientjava.istiod.translate.envoy;

import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.translate;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.with;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An Istio Gateway's server hosts decide which bound VirtualService hosts become virtual hosts. */
class IstioGatewayTest {

    /** The Gateway {@code default/edge} of the ingress gateway pods with these {@code servers} (YAML list items). */
    private static String edge(String servers) {
        return """
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: edge, namespace: default}
                spec:
                  selector: {istio: ingressgateway}
                  servers:
                """ + servers;
    }

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
                .satisfies(
                        w -> assertThat(w.toString()).contains("secret default/edge-cert (credentialName) not found"));
    }

    private static final String CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    private static final String KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

    private static String tlsSecret(String name, String crt, String key) {
        java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
        return """
                apiVersion: v1
                kind: Secret
                metadata: {name: %s, namespace: default}
                type: kubernetes.io/tls
                data:
                  tls.crt: %s
                  tls.key: %s
                """.formatted(name, b64.encodeToString(crt.getBytes()), b64.encodeToString(key.getBytes()));
    }

    private static io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext tlsOf(
            io.envoyproxy.envoy.config.listener.v3.Listener listener) throws Exception {
        return tlsOf(listener.getFilterChains(0));
    }

    private static io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext tlsOf(
            io.envoyproxy.envoy.config.listener.v3.FilterChain chain) throws Exception {
        var socket = chain.getTransportSocket();
        assertThat(socket.getName()).isEqualTo("envoy.transport_sockets.tls");
        return socket.getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.class);
    }

    @Test
    void anHttpsServerTerminatesTlsWithItsCredentialSecret() throws Exception {
        var translation = translate(with(gateway("[\"./*.example.com\"]"), BOUND, tlsSecret("edge-cert", CERT, KEY)));
        ProxyResources edge = translation.of(ProxyId.gateway("default", "edge"));

        assertThat(edge.listeners()).containsOnlyKeys("0.0.0.0_80", "0.0.0.0_443");
        assertThat(edge.listeners().get("0.0.0.0_80").getFilterChains(0).hasTransportSocket())
                .isFalse();
        var common = tlsOf(edge.listeners().get("0.0.0.0_443")).getCommonTlsContext();
        assertThat(common.getTlsCertificates(0)
                        .getCertificateChain()
                        .getInlineBytes()
                        .toStringUtf8())
                .isEqualTo(CERT);
        assertThat(common.getTlsCertificates(0).getPrivateKey().getInlineBytes().toStringUtf8())
                .isEqualTo(KEY);
        assertThat(common.getAlpnProtocolsList()).containsExactly("h2", "http/1.1");
        assertThat(edge.routes().get("http.443").getVirtualHostsList())
                .extracting(VirtualHost::getName)
                .containsExactly("admin.example.com:443", "shop.example.com:443");
        assertThat(translation.warnings()).isEmpty();
    }

    @Test
    void aSecretWithStringDataAndGenericKeysServesToo() throws Exception {
        String generic = """
                apiVersion: v1
                kind: Secret
                metadata: {name: edge-cert, namespace: default}
                stringData:
                  cert: "%s"
                  key: "%s"
                """.formatted(CERT.replace("\n", "\\n"), KEY.replace("\n", "\\n"));
        ProxyResources edge =
                translate(with(gateway("[\"*\"]"), BOUND, generic)).of(ProxyId.gateway("default", "edge"));

        assertThat(tlsOf(edge.listeners().get("0.0.0.0_443"))
                        .getCommonTlsContext()
                        .getTlsCertificates(0)
                        .getCertificateChain()
                        .getInlineBytes()
                        .toStringUtf8())
                .isEqualTo(CERT);
    }

    @Test
    void aSecretWithoutAKeyOrWithoutPemIsReportedAndThePortNotServed() {
        var noKey = translate(with(gateway("[\"*\"]"), BOUND, """
                apiVersion: v1
                kind: Secret
                metadata: {name: edge-cert, namespace: default}
                stringData: {tls.crt: "x"}
                """));
        assertThat(noKey.of(ProxyId.gateway("default", "edge")).listeners()).containsOnlyKeys("0.0.0.0_80");
        assertThat(noKey.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString()).contains("secret default/edge-cert has no tls.key"));

        var notPem = translate(with(gateway("[\"*\"]"), BOUND, tlsSecret("edge-cert", "garbage", KEY)));
        assertThat(notPem.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString()).contains("tls.crt is not a PEM certificate"));
    }

    private static final String HASH =
            "DF:6F:F7:2F:E9:11:6F:0B:E2:BF:95:50:FE:8B:5A:C6:3C:B3:B5:4C:BB:B6:0B:B2:A6:77:35:7C:E0:15:97:E2";
    private static final String SPKI = "2IEpPESU/mmC/Cm9BNwexfn9ZS5oKYfBxzKGlnD+zU8=";

    @Test
    void aMutualServerRequiresClientCertificatesFromItsSecretsCa() throws Exception {
        String ca = CERT.replace("MIIB", "MIIA");
        java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
        String caInSecret = tlsSecret("edge-cert", CERT, KEY) + "  ca.crt: "
                + b64.encodeToString(ca.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "\n";
        String gateways = edge("""
                  - port: {number: 443, name: https, protocol: HTTPS}
                    hosts: ["*"]
                    tls: {mode: MUTUAL, credentialName: edge-cert}
                  - port: {number: 8443, name: https-apart, protocol: HTTPS}
                    hosts: ["*"]
                    tls: {mode: MUTUAL, credentialName: apart-cert}
                  - port: {number: 9443, name: https-no-ca, protocol: HTTPS}
                    hosts: ["*"]
                    tls: {mode: MUTUAL, credentialName: no-ca-cert}
                  - port: {number: 10443, name: https-sans, protocol: HTTPS}
                    hosts: ["*"]
                    tls: {mode: MUTUAL, credentialName: edge-cert, subjectAltNames: [spiffe://x, 198.18.0.9]}
                  - port: {number: 11443, name: https-hash, protocol: HTTPS}
                    hosts: ["*"]
                    tls:
                      mode: MUTUAL
                      credentialName: edge-cert
                      verifyCertificateHash: ["%s"]
                      verifyCertificateSpki: ["%s"]
                  - port: {number: 12443, name: https-bad-hash, protocol: HTTPS}
                    hosts: ["*"]
                    tls: {mode: MUTUAL, credentialName: edge-cert, verifyCertificateHash: ["AB:CD"]}
                """.formatted(HASH, SPKI));
        String caApart = """
                apiVersion: v1
                kind: Secret
                metadata: {name: apart-cert-cacert, namespace: default}
                stringData: {ca.crt: "%s"}
                """.formatted(ca.replace("\n", "\\n"));
        var translation = translate(with(
                gateways,
                BOUND,
                caInSecret,
                tlsSecret("apart-cert", CERT, KEY),
                caApart,
                tlsSecret("no-ca-cert", CERT, KEY)));
        ProxyResources edge = translation.of(ProxyId.gateway("default", "edge"));

        assertThat(edge.listeners()).containsOnlyKeys("0.0.0.0_443", "0.0.0.0_8443", "0.0.0.0_10443", "0.0.0.0_11443");
        for (String listener : List.of("0.0.0.0_443", "0.0.0.0_8443", "0.0.0.0_10443", "0.0.0.0_11443")) {
            var tls = tlsOf(edge.listeners().get(listener));
            assertThat(tls.getRequireClientCertificate().getValue())
                    .as(listener)
                    .isTrue();
            assertThat(tls.getCommonTlsContext()
                            .getValidationContext()
                            .getTrustedCa()
                            .getInlineBytes()
                            .toStringUtf8())
                    .as(listener)
                    .isEqualTo(ca);
        }
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .anySatisfy(w ->
                        assertThat(w).contains("MUTUAL needs the client CA").contains("default/no-ca-cert"))
                .anySatisfy(w -> assertThat(w)
                        .contains("port 12443")
                        .contains("verifyCertificateHash 'AB:CD' is not a SHA-256 digest"))
                .hasSize(2);
        var pinned = tlsOf(edge.listeners().get("0.0.0.0_11443"))
                .getCommonTlsContext()
                .getValidationContext();
        assertThat(pinned.getVerifyCertificateHashList()).containsExactly(HASH);
        assertThat(pinned.getVerifyCertificateSpkiList()).containsExactly(SPKI);
        assertThat(tlsOf(edge.listeners().get("0.0.0.0_443"))
                        .getCommonTlsContext()
                        .getValidationContext()
                        .getMatchTypedSubjectAltNamesList())
                .as("no subjectAltNames: any certificate of the CA")
                .isEmpty();
        assertThat(tlsOf(edge.listeners().get("0.0.0.0_10443"))
                        .getCommonTlsContext()
                        .getValidationContext()
                        .getMatchTypedSubjectAltNamesList())
                .extracting(m -> m.getSanType() + " " + m.getMatcher().getExact())
                .containsExactly(
                        "DNS spiffe://x",
                        "URI spiffe://x",
                        "EMAIL spiffe://x",
                        "DNS 198.18.0.9",
                        "URI 198.18.0.9",
                        "EMAIL 198.18.0.9",
                        "IP_ADDRESS 198.18.0.9");
    }

    @Test
    void aPassthroughServerSendsEachSniHostOfTheBoundTlsRoutesToItsDestination() {
        String gateways = edge("""
                  - port: {number: 443, name: tls, protocol: TLS}
                    hosts: ["*.example.com"]
                  - port: {number: 443, name: https-also, protocol: HTTPS}
                    hosts: [other.example.com]
                    tls: {mode: SIMPLE, credentialName: edge-cert}
                  - port: {number: 8443, name: tls-unrouted, protocol: HTTPS}
                    hosts: [nothing.example.net]
                    tls: {mode: PASSTHROUGH}
                """);
        String routes = """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: passthrough, namespace: default}
                spec:
                  hosts: [shop.example.com, admin.example.com, elsewhere.example.org]
                  gateways: [edge]
                  tls:
                  - match: [{port: 443, sniHosts: [shop.example.com]}]
                    route: [{destination: {host: reviews, port: {number: 9080}}}]
                  - match: [{sniHosts: [admin.example.com, elsewhere.example.org]}]
                    route:
                    - {destination: {host: ratings, port: {number: 9080}}, weight: 90}
                    - {destination: {host: reviews, port: {number: 9080}}, weight: 10}
                  - match: [{sniHosts: [shop.example.com]}]
                    route: [{destination: {host: ratings, port: {number: 9080}}}]
                """;
        var translation = translate(with(gateways, routes, tlsSecret("edge-cert", CERT, KEY)));
        ProxyResources edge = translation.of(ProxyId.gateway("default", "edge"));

        assertThat(edge.listeners()).containsOnlyKeys("0.0.0.0_443");
        var listener = edge.listeners().get("0.0.0.0_443");
        assertThat(listener.getListenerFilters(0).getName()).isEqualTo("envoy.filters.listener.tls_inspector");
        assertThat(listener.getFilterChainsList()).hasSize(2);
        assertThat(listener.getFilterChains(0).getFilterChainMatch().getServerNamesList())
                .containsExactly("shop.example.com");
        assertThat(listener.getFilterChains(1).getFilterChainMatch().getServerNamesList())
                .as("a server host that does not admit an SNI host drops it")
                .containsExactly("admin.example.com");
        assertThat(edge.routes()).doesNotContainKey("http.443");
        assertThat(edge.clusters())
                .containsKeys(
                        "outbound|9080||reviews.default.svc.cluster.local",
                        "outbound|9080||ratings.default.svc.cluster.local");
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .anySatisfy(w -> assertThat(w)
                        .contains("server on port 443 is skipped")
                        .contains("already serves TLS passthrough"))
                .anySatisfy(w -> assertThat(w).contains("shop.example.com").contains("an earlier route takes"))
                .anySatisfy(w -> assertThat(w).contains("TLS passthrough port 8443 is not served"))
                .hasSize(3);
    }

    @Test
    void aTcpServerProxiesToTheFirstBoundTcpRouteForItsPort() throws Exception {
        String gateways = edge("""
                  - port: {number: 27017, name: mongo, protocol: MONGO}
                    hosts: ["*"]
                  - port: {number: 31400, name: tcp, protocol: TCP}
                    hosts: ["*"]
                  - port: {number: 31401, name: tcp-unrouted, protocol: TCP}
                    hosts: ["*"]
                  - port: {number: 80, name: http, protocol: HTTP}
                    hosts: ["*"]
                  - port: {number: 80, name: tcp-clash, protocol: TCP}
                    hosts: ["*"]
                """);
        String routes = """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: tcp-echo, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z"}
                spec:
                  hosts: ["*"]
                  gateways: [edge]
                  tcp:
                  - match: [{port: 31400}]
                    route:
                    - {destination: {host: reviews, port: {number: 9080}}, weight: 80}
                    - {destination: {host: ratings, port: {number: 9080}}, weight: 20}
                  - match: [{port: 27017, gateways: [someone-else]}]
                    route: [{destination: {host: reviews, port: {number: 9080}}}]
                  - match: [{port: 27017}]
                    route: [{destination: {host: ratings, port: {number: 9080}}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: later, namespace: default, creationTimestamp: "2026-01-02T00:00:00Z"}
                spec:
                  hosts: ["*"]
                  gateways: [edge]
                  tcp: [{route: [{destination: {host: reviews, port: {number: 9080}}}]}]
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: ratings, namespace: default}
                spec:
                  host: ratings
                  trafficPolicy: {connectionPool: {tcp: {idleTimeout: 20m}}}
                """;
        var translation = translate(with(gateways, routes));
        ProxyResources edge = translation.of(ProxyId.gateway("default", "edge"));

        assertThat(edge.listeners()).containsOnlyKeys("0.0.0.0_27017", "0.0.0.0_31400", "0.0.0.0_31401", "0.0.0.0_80");
        var split = tcpProxy(edge.listeners().get("0.0.0.0_31400"));
        assertThat(split.getWeightedClusters().getClustersList())
                .extracting(c -> c.getName(), c -> c.getWeight())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("outbound|9080||reviews.default.svc.cluster.local", 80),
                        org.assertj.core.groups.Tuple.tuple("outbound|9080||ratings.default.svc.cluster.local", 20));
        var mongo = tcpProxy(edge.listeners().get("0.0.0.0_27017"));
        assertThat(mongo.getCluster())
                .as("a match naming another gateway does not apply here")
                .isEqualTo("outbound|9080||ratings.default.svc.cluster.local");
        assertThat(mongo.getIdleTimeout().getSeconds())
                .as("from the ratings DestinationRule")
                .isEqualTo(1200);
        assertThat(tcpProxy(edge.listeners().get("0.0.0.0_31401")).getCluster())
                .as("the later VirtualService's tcp route without a match takes the other port")
                .isEqualTo("outbound|9080||reviews.default.svc.cluster.local");
        assertThat(edge.listeners()
                        .get("0.0.0.0_80")
                        .getFilterChains(0)
                        .getFilters(0)
                        .getName())
                .isEqualTo("envoy.filters.network.http_connection_manager");
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .anySatisfy(w ->
                        assertThat(w).contains("server on port 80 is skipped").contains("plain HTTP"));
    }

    @Test
    void aTcpServerNoRouteBindsToIsReportedAndNotServed() {
        var translation = translate(with(edge("""
                  - port: {number: 31400, name: tcp, protocol: TCP}
                    hosts: ["*"]
                """)));
        assertThat(translation.of(ProxyId.gateway("default", "edge")).listeners())
                .isEmpty();
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .anySatisfy(w -> assertThat(w).contains("TCP port 31400 is not served"));
    }

    private static io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy tcpProxy(
            io.envoyproxy.envoy.config.listener.v3.Listener listener) throws Exception {
        assertThat(listener.getListenerFiltersList())
                .as("no TLS inspector on a TCP port")
                .isEmpty();
        return listener.getFilterChains(0)
                .getFilters(0)
                .getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.class);
    }

    @Test
    void anHttpServerWithHttpsRedirectRequiresTlsOfItsHostsEvenWithoutAVirtualService() {
        String gateways = edge("""
                  - port: {number: 80, name: http, protocol: HTTP}
                    hosts: [shop.example.com, static.example.com]
                    tls: {httpsRedirect: true}
                  - port: {number: 8080, name: http-plain, protocol: HTTP}
                    hosts: [admin.example.com]
                  - port: {number: 8081, name: http-odd, protocol: HTTP}
                    hosts: [admin.example.com]
                    tls: {httpsRedirect: true, credentialName: edge-cert}
                """);
        var translation = translate(with(gateways, BOUND));
        ProxyResources edge = translation.of(ProxyId.gateway("default", "edge"));

        assertThat(edge.listeners()).containsOnlyKeys("0.0.0.0_80", "0.0.0.0_8080");
        var redirecting = edge.routes().get("http.80").getVirtualHostsList();
        assertThat(redirecting)
                .extracting(VirtualHost::getName)
                .containsExactly("shop.example.com:80", "static.example.com:80");
        assertThat(redirecting)
                .allSatisfy(vh -> assertThat(vh.getRequireTls()).isEqualTo(VirtualHost.TlsRequirementType.ALL));
        assertThat(redirecting.get(0).getRoutesCount())
                .as("the bound VirtualService's routes")
                .isEqualTo(1);
        assertThat(redirecting.get(1).getRoutesList())
                .as("no VirtualService: only the redirect")
                .isEmpty();
        assertThat(edge.routes().get("http.8080").getVirtualHosts(0).getRequireTls())
                .isEqualTo(VirtualHost.TlsRequirementType.NONE);
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .singleElement()
                .satisfies(w -> assertThat(w).contains("server on port 8081 (HTTP, tls) is not supported yet"));
    }

    @Test
    void severalCertificatesOnAPortArePickedBySniAndOtherTlsModesAreReported() throws Exception {
        String gateways = edge("""
                  - port: {number: 443, name: https, protocol: HTTPS}
                    hosts: [shop.example.com]
                    tls: {mode: SIMPLE, credentialName: edge-cert}
                  - port: {number: 443, name: https-admin, protocol: HTTPS}
                    hosts: [./admin.example.com]
                    tls: {mode: SIMPLE, credentialName: admin-cert}
                  - port: {number: 443, name: https-any, protocol: HTTPS}
                    hosts: ["*"]
                    tls: {mode: SIMPLE, credentialName: edge-cert}
                  - port: {number: 443, name: https-again, protocol: HTTPS}
                    hosts: [admin.example.com]
                    tls: {mode: SIMPLE, credentialName: other-cert}
                  - port: {number: 8443, name: istio-mutual, protocol: HTTPS}
                    hosts: ["*"]
                    tls: {mode: ISTIO_MUTUAL}
                """);
        var translation = translate(with(
                gateways,
                BOUND,
                tlsSecret("edge-cert", CERT, KEY),
                tlsSecret("admin-cert", CERT.replace("MIIB", "MIIC"), KEY),
                tlsSecret("other-cert", CERT, KEY)));
        ProxyResources edge = translation.of(ProxyId.gateway("default", "edge"));

        assertThat(edge.listeners()).containsOnlyKeys("0.0.0.0_443");
        var chains = edge.listeners().get("0.0.0.0_443").getFilterChainsList();
        assertThat(chains).hasSize(2);
        assertThat(chains.get(0).getFilterChainMatch().getServerNamesList()).containsExactly("admin.example.com");
        assertThat(tlsOf(chains.get(0))
                        .getCommonTlsContext()
                        .getTlsCertificates(0)
                        .getCertificateChain())
                .satisfies(c -> assertThat(c.getInlineBytes().toStringUtf8()).contains("MIIC"));
        assertThat(chains.get(1).hasFilterChainMatch())
                .as("edge-cert serves shop.example.com and, through the * server, every other name")
                .isFalse();
        assertThat(chains.get(1).getFilters(0)).isEqualTo(chains.get(0).getFilters(0));
        assertThat(edge.routes().get("http.443").getVirtualHostsList())
                .extracting(VirtualHost::getName)
                .containsExactly("admin.example.com:443", "shop.example.com:443");
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .anySatisfy(w -> assertThat(w)
                        .contains("server on port 443 is skipped")
                        .contains("admin.example.com is already served with default/admin-cert"))
                .anySatisfy(w -> assertThat(w).contains("tls.mode ISTIO_MUTUAL is not supported yet"))
                .hasSize(2);
    }

    @Test
    void clustersOfGrpcAndHttp2PortsSpeakHttp2UpstreamAndHttpPortsDoNot() {
        String services = """
                apiVersion: v1
                kind: Service
                metadata: {name: echo, namespace: default}
                spec:
                  clusterIP: 198.19.0.50
                  ports:
                  - {name: grpc-echo, port: 9090}
                  - {name: web, port: 8080, appProtocol: kubernetes.io/h2c}
                  - {name: http-plain, port: 8081}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: echo, namespace: default}
                spec:
                  hosts: [echo.example.com]
                  gateways: [default/edge]
                  http:
                  - match: [{uri: {prefix: /grpc}}]
                    route: [{destination: {host: echo, port: {number: 9090}}}]
                  - match: [{uri: {prefix: /h2c}}]
                    route: [{destination: {host: echo, port: {number: 8080}}}]
                  - route: [{destination: {host: echo, port: {number: 8081}}}]
                """;
        ProxyResources edge = translate(with(gateway("[\"*\"]"), services)).of(ProxyId.gateway("default", "edge"));

        assertThat(edge.clusters()
                        .get("outbound|9090||echo.default.svc.cluster.local")
                        .hasHttp2ProtocolOptions())
                .isTrue();
        assertThat(edge.clusters()
                        .get("outbound|8080||echo.default.svc.cluster.local")
                        .hasHttp2ProtocolOptions())
                .isTrue();
        assertThat(edge.clusters()
                        .get("outbound|8081||echo.default.svc.cluster.local")
                        .hasHttp2ProtocolOptions())
                .isFalse();
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
