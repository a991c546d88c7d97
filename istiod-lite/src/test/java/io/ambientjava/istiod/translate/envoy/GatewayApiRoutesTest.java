package io.ambientjava.istiod.translate.envoy;

import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.translate;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.waypoint;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.with;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Gateway API: an ingress Gateway with HTTPRoutes, and an HTTPRoute attached to a Service at its waypoint. */
class GatewayApiRoutesTest {

    private static final String GATEWAY = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: public, namespace: default}
            spec:
              gatewayClassName: istio
              listeners:
              - {name: web, port: 8000, protocol: HTTP, hostname: "*.example.com"}
              - {name: secure, port: 8443, protocol: HTTPS}
            """;
    private static final String ROUTE = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: shop, namespace: default}
            spec:
              parentRefs: [{name: public, sectionName: web}]
              hostnames: [shop.example.com]
              rules:
              - matches: [{path: {type: PathPrefix, value: /reviews}}]
                filters:
                - type: RequestHeaderModifier
                  requestHeaderModifier: {set: [{name: x-from, value: gateway}], remove: [x-debug]}
                - type: URLRewrite
                  urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
                backendRefs:
                - {name: reviews, port: 9080, weight: 80}
                - {name: ratings, port: 9080, weight: 20}
              - matches: [{path: {type: Exact, value: /reviews/health}, headers: [{name: X-Probe, value: "yes"}]}]
                backendRefs: [{name: reviews, port: 9080}]
              - matches: [{path: {type: PathPrefix, value: /old}}]
                filters:
                - type: RequestRedirect
                  requestRedirect: {hostname: new.example.com, statusCode: 301}
            """;

    @Test
    void aBackendsOwnHeaderFiltersGoOnItsWeightedClusterOrOnTheRouteWhenAlone() {
        var translation = translate(with(GATEWAY, """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: shop, namespace: default}
                spec:
                  parentRefs: [{name: public, sectionName: web}]
                  rules:
                  - matches: [{path: {type: PathPrefix, value: /split}}]
                    filters:
                    - type: RequestHeaderModifier
                      requestHeaderModifier: {set: [{name: x-rule, value: "1"}]}
                    backendRefs:
                    - name: reviews
                      port: 9080
                      weight: 90
                      filters:
                      - type: RequestHeaderModifier
                        requestHeaderModifier: {set: [{name: x-backend, value: reviews}], remove: [x-debug]}
                      - type: ResponseHeaderModifier
                        responseHeaderModifier: {add: [{name: x-served-by, value: reviews}]}
                    - {name: ratings, port: 9080, weight: 10}
                  - matches: [{path: {type: PathPrefix, value: /alone}}]
                    backendRefs:
                    - name: ratings
                      port: 9080
                      filters:
                      - type: RequestHeaderModifier
                        requestHeaderModifier: {add: [{name: x-backend, value: ratings}]}
                      - type: URLRewrite
                        urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
                """));
        var routes = translation
                .of(ProxyId.gateway("default", "public"))
                .routes()
                .get("http.8000")
                .getVirtualHosts(0)
                .getRoutesList();
        Route split = routes.stream()
                .filter(r -> r.getMatch().getPath().equals("/split"))
                .findFirst()
                .orElseThrow();
        assertThat(split.getRequestHeadersToAddList())
                .extracting(h -> h.getHeader().getKey())
                .containsExactly("x-rule");
        WeightedCluster.ClusterWeight reviews =
                split.getRoute().getWeightedClusters().getClusters(0);
        assertThat(reviews.getRequestHeadersToAddList())
                .extracting(
                        h -> h.getHeader().getKey(), h -> h.getHeader().getValue(), HeaderValueOption::getAppendAction)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(
                        "x-backend", "reviews", HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
        assertThat(reviews.getRequestHeadersToRemoveList()).containsExactly("x-debug");
        assertThat(reviews.getResponseHeadersToAddList())
                .extracting(h -> h.getHeader().getKey(), HeaderValueOption::getAppendAction)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(
                        "x-served-by", HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD));
        WeightedCluster.ClusterWeight ratings =
                split.getRoute().getWeightedClusters().getClusters(1);
        assertThat(ratings.getRequestHeadersToAddList()).isEmpty();
        assertThat(ratings.getResponseHeadersToAddList()).isEmpty();

        Route alone = routes.stream()
                .filter(r -> r.getMatch().getPath().equals("/alone"))
                .findFirst()
                .orElseThrow();
        assertThat(alone.getRoute().getCluster()).isEqualTo("outbound|9080||ratings.default.svc.cluster.local");
        assertThat(alone.getRequestHeadersToAddList())
                .extracting(h -> h.getHeader().getKey(), h -> h.getHeader().getValue())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("x-backend", "ratings"));
        assertThat(alone.getRoute().getPrefixRewrite()).isEmpty(); // a backend's URLRewrite is not applied...
        assertThat(translation.warnings()) // ...and said so, naming the backend
                .anySatisfy(w -> assertThat(w.message())
                        .contains("filter type 'URLRewrite' on backendRef 'ratings' is not supported"));
    }

    @Test
    void timeoutsAndRetryBecomeTheRoutesTimeoutAndRetryPolicyAsIstioConvertsThem() {
        var translation = translate(with(GATEWAY, """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: shop, namespace: default}
                spec:
                  parentRefs: [{name: public, sectionName: web}]
                  rules:
                  - matches: [{path: {type: Exact, value: /retried}}]
                    timeouts: {request: 10s, backendRequest: 2s}
                    retry: {attempts: 4, backoff: 100ms, codes: [502, 503]}
                    backendRefs: [{name: reviews, port: 9080}]
                  - matches: [{path: {type: Exact, value: /per-backend}}]
                    timeouts: {backendRequest: 3s}
                    backendRefs: [{name: reviews, port: 9080}]
                  - matches: [{path: {type: Exact, value: /never}}]
                    retry: {attempts: 0}
                    backendRefs: [{name: reviews, port: 9080}]
                  - matches: [{path: {type: Exact, value: /plain}}]
                    timeouts: {request: soon}
                    backendRefs: [{name: reviews, port: 9080}]
                """));
        var routes = translation
                .of(ProxyId.gateway("default", "public"))
                .routes()
                .get("http.8000")
                .getVirtualHosts(0)
                .getRoutesList();
        java.util.function.Function<String, Route> at = path -> routes.stream()
                .filter(r -> r.getMatch().getPath().equals(path))
                .findFirst()
                .orElseThrow();

        var retried = at.apply("/retried").getRoute();
        assertThat(retried.getTimeout().getSeconds()).isEqualTo(10);
        assertThat(retried.getRetryPolicy().getNumRetries().getValue()).isEqualTo(4);
        assertThat(retried.getRetryPolicy().getRetryOn())
                .isEqualTo("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes");
        assertThat(retried.getRetryPolicy().getRetriableStatusCodesList()).containsExactly(502, 503);
        assertThat(retried.getRetryPolicy().getPerTryTimeout().getSeconds()).isEqualTo(2);
        assertThat(retried.getRetryPolicy().getRetryBackOff().getBaseInterval().getNanos())
                .isEqualTo(100_000_000);

        var perBackend = at.apply("/per-backend").getRoute();
        assertThat(perBackend.getTimeout().getSeconds()).isEqualTo(3);
        assertThat(perBackend.getRetryPolicy().getNumRetries().getValue()).isEqualTo(2); // Istio's default policy
        assertThat(perBackend.getRetryPolicy().getRetriableStatusCodesList()).containsExactly(503);

        assertThat(at.apply("/never").getRoute().hasRetryPolicy()).isFalse();
        assertThat(routes).noneMatch(r -> r.getMatch().getPath().equals("/plain"));
        assertThat(translation.warnings())
                .anySatisfy(w -> assertThat(w.message()).contains("rule 3").contains("'soon' is not a duration"));
    }

    @Test
    void gatewayListenerRoutesHostsMatchesBackendsAndFilters() {
        var translation = translate(with(GATEWAY, ROUTE));
        ProxyResources gateway = translation.of(ProxyId.gateway("default", "public"));
        assertThat(gateway.listeners()).containsOnlyKeys("0.0.0.0_8000");
        RouteConfiguration config = gateway.routes().get("http.8000");
        assertThat(config.getVirtualHostsList()).hasSize(1);
        assertThat(config.getVirtualHosts(0).getDomainsList())
                .containsExactly("shop.example.com", "shop.example.com:8000");
        var routes = config.getVirtualHosts(0).getRoutesList();
        // Gateway API precedence: the exact path first, then the longer prefix.
        assertThat(routes.get(0).getMatch().getPath()).isEqualTo("/reviews/health");
        assertThat(routes.get(0).getMatch().getHeaders(0).getName()).isEqualTo("x-probe");
        assertThat(routes.get(0).getRoute().getCluster()).isEqualTo("outbound|9080||reviews.default.svc.cluster.local");
        // PathPrefix /reviews is whole segments: the path itself, or anything below /reviews/.
        assertThat(routes.get(1).getMatch().getPath()).isEqualTo("/reviews");
        assertThat(routes.get(2).getMatch().getPrefix()).isEqualTo("/reviews/");
        assertThat(routes.get(2).getRoute()).isEqualTo(routes.get(1).getRoute());
        Route split = routes.get(1);
        assertThat(split.getRoute().getWeightedClusters().getClustersList())
                .extracting(
                        WeightedCluster.ClusterWeight::getName,
                        c -> c.getWeight().getValue())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("outbound|9080||reviews.default.svc.cluster.local", 80),
                        org.assertj.core.groups.Tuple.tuple("outbound|9080||ratings.default.svc.cluster.local", 20));
        assertThat(split.getRoute().getPrefixRewrite()).isEqualTo("/");
        assertThat(split.getRequestHeadersToAdd(0).getHeader().getKey()).isEqualTo("x-from");
        assertThat(split.getRequestHeadersToAdd(0).getAppendAction())
                .isEqualTo(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
        assertThat(split.getRequestHeadersToRemoveList()).containsExactly("x-debug");
        Route redirect = routes.get(3);
        assertThat(redirect.getMatch().getPath()).isEqualTo("/old");
        assertThat(routes.get(4).getMatch().getPrefix()).isEqualTo("/old/");
        assertThat(redirect.getRedirect().getHostRedirect()).isEqualTo("new.example.com");
        assertThat(redirect.getRedirect().getResponseCode())
                .isEqualTo(RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY);
        assertThat(gateway.clusters())
                .containsKeys(
                        "outbound|9080||reviews.default.svc.cluster.local",
                        "outbound|9080||ratings.default.svc.cluster.local");
        assertThat(translation.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString()).contains("secure").contains("HTTPS"));
    }

    @Test
    void anHttpsListenerTerminatesTlsWithItsCertificateRefAndACrossNamespaceRefIsReported() throws Exception {
        String cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        String key = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
        java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
        String secret = """
                apiVersion: v1
                kind: Secret
                metadata: {name: public-cert, namespace: default}
                type: kubernetes.io/tls
                data: {tls.crt: %s, tls.key: %s}
                """.formatted(b64.encodeToString(cert.getBytes()), b64.encodeToString(key.getBytes()));
        String gateway = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: public, namespace: default}
                spec:
                  gatewayClassName: istio
                  listeners:
                  - name: secure
                    port: 8443
                    protocol: HTTPS
                    tls: {mode: Terminate, certificateRefs: [{name: public-cert}]}
                  - name: secure-admin
                    port: 8443
                    hostname: admin.example.com
                    protocol: HTTPS
                    tls: {mode: Terminate, certificateRefs: [{name: public-cert}]}
                  - name: elsewhere
                    port: 9443
                    protocol: HTTPS
                    tls: {certificateRefs: [{name: other-cert, namespace: certs}]}
                """;
        String route = ROUTE.replace("sectionName: web", "sectionName: secure");
        var translation = translate(with(gateway, route, secret));
        ProxyResources proxy = translation.of(ProxyId.gateway("default", "public"));

        assertThat(proxy.listeners()).containsOnlyKeys("0.0.0.0_8443");
        assertThat(proxy.listeners().get("0.0.0.0_8443").getFilterChainsList())
                .as("the same certificate for the hostname listener and the default one: one chain")
                .singleElement()
                .satisfies(c -> assertThat(c.hasFilterChainMatch()).isFalse());
        var socket = proxy.listeners().get("0.0.0.0_8443").getFilterChains(0).getTransportSocket();
        var tls = socket.getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.class);
        assertThat(tls.getCommonTlsContext()
                        .getTlsCertificates(0)
                        .getPrivateKey()
                        .getInlineBytes()
                        .toStringUtf8())
                .isEqualTo(key);
        assertThat(proxy.routes().get("http.8443").getVirtualHosts(0).getDomainsList())
                .contains("shop.example.com");
        assertThat(translation.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString()).contains("elsewhere").contains("ReferenceGrant"));
    }

    private static final String CLIENT_CA = "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n";

    /**
     * Gateway API client certificate validation ({@code spec.tls.frontend}): the CA of the ConfigMap its
     * {@code caCertificateRefs} name checks client certificates on the ports it covers (a port's own entry, else the
     * default); {@code AllowValidOnly} requires one, {@code AllowInsecureFallback} checks one when sent. A port whose
     * validation cannot be honoured is not served at all rather than served without asking for a certificate.
     */
    @Test
    void frontendClientValidationChecksClientCertificatesAgainstTheReferencedCa() throws Exception {
        String secret = """
                apiVersion: v1
                kind: Secret
                metadata: {name: public-cert, namespace: default}
                type: kubernetes.io/tls
                stringData: {tls.crt: "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n",
                  tls.key: "-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----\\n"}
                """;
        String configMap = """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: client-ca, namespace: default}
                data:
                  ca.crt: |
                    -----BEGIN CERTIFICATE-----
                    MIIC
                    -----END CERTIFICATE-----
                """;
        String gateway = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: public, namespace: default}
                spec:
                  gatewayClassName: istio
                  tls:
                    frontend: %s
                  listeners:
                  - name: secure
                    port: 8443
                    protocol: HTTPS
                    tls: {mode: Terminate, certificateRefs: [{name: public-cert}]}
                  - name: mtls
                    port: 9443
                    protocol: HTTPS
                    tls: {mode: Terminate, certificateRefs: [{name: public-cert}]}
                """;
        String validation = "{validation: {caCertificateRefs: [{group: \"\", kind: ConfigMap, name: client-ca}]}}";
        String route = ROUTE.replace("sectionName: web", "sectionName: secure");

        var perPort = translate(with(
                gateway.formatted("{perPort: [{port: 9443, tls: " + validation + "}]}"), route, secret, configMap));
        var listeners = perPort.of(ProxyId.gateway("default", "public")).listeners();
        assertThat(listeners).containsOnlyKeys("0.0.0.0_8443", "0.0.0.0_9443");
        var mutual = tlsOf(listeners.get("0.0.0.0_9443"));
        assertThat(mutual.getCommonTlsContext()
                        .getValidationContext()
                        .getTrustedCa()
                        .getInlineBytes()
                        .toStringUtf8())
                .isEqualTo(CLIENT_CA);
        assertThat(mutual.getRequireClientCertificate().getValue()).isTrue();
        assertThat(tlsOf(listeners.get("0.0.0.0_8443")).getCommonTlsContext().hasValidationContext())
                .isFalse();
        assertThat(perPort.warnings()).isEmpty();

        var fallback = translate(with(
                gateway.formatted("{default: " + validation.replace("}]}}", "}], mode: AllowInsecureFallback}}") + "}"),
                route,
                secret,
                configMap));
        var both = fallback.of(ProxyId.gateway("default", "public")).listeners();
        assertThat(both).as("the default applies to every port").containsOnlyKeys("0.0.0.0_8443", "0.0.0.0_9443");
        assertThat(tlsOf(both.get("0.0.0.0_8443")).getRequireClientCertificate().getValue())
                .isFalse();
        assertThat(tlsOf(both.get("0.0.0.0_8443")).getCommonTlsContext().hasValidationContext())
                .isTrue();

        var missing =
                translate(with(gateway.formatted("{perPort: [{port: 9443, tls: " + validation + "}]}"), route, secret));
        assertThat(missing.of(ProxyId.gateway("default", "public")).listeners()).containsOnlyKeys("0.0.0.0_8443");
        assertThat(missing.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString())
                        .contains("HTTPS listener 'mtls'")
                        .contains("ConfigMap default/client-ca (caCertificateRefs) not found")
                        .contains("port 9443 is not served"));

        String elsewhere = validation.replace("name: client-ca}", "name: client-ca, namespace: pki}");
        var crossNamespace = translate(with(
                gateway.formatted("{perPort: [{port: 9443, tls: " + elsewhere + "}]}"),
                route,
                secret,
                configMap.replace("namespace: default", "namespace: pki")));
        assertThat(crossNamespace.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString())
                        .contains("ConfigMap pki/client-ca")
                        .contains("ReferenceGrant"));
    }

    private static io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext tlsOf(
            io.envoyproxy.envoy.config.listener.v3.Listener listener) throws Exception {
        return listener.getFilterChains(0)
                .getTransportSocket()
                .getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.class);
    }

    @Test
    void aBackendInAnotherNamespaceIsUsedOnlyWithAReferenceGrantThere() {
        String otherService = """
                apiVersion: v1
                kind: Namespace
                metadata: {name: billing}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: invoices, namespace: billing}
                spec: {clusterIP: 198.19.0.60, selector: {app: invoices}, ports: [{name: http, port: 8080}]}
                """;
        String route = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: invoices, namespace: default}
                spec:
                  parentRefs: [{name: public, sectionName: web}]
                  hostnames: [shop.example.com]
                  rules: [{backendRefs: [{name: invoices, namespace: billing, port: 8080}]}]
                """;
        String grant = """
                apiVersion: gateway.networking.k8s.io/v1beta1
                kind: ReferenceGrant
                metadata: {name: routes-from-default, namespace: billing}
                spec:
                  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
                  to: [{group: "", kind: Service}]
                """;
        var refused = translate(with(GATEWAY, otherService, route));
        Route denied = refused.of(ProxyId.gateway("default", "public"))
                .routes()
                .get("http.8000")
                .getVirtualHosts(0)
                .getRoutes(0);
        assertThat(denied.getDirectResponse().getStatus())
                .as("no usable backend: 500")
                .isEqualTo(500);
        assertThat(refused.warnings())
                .extracting(Object::toString)
                .anySatisfy(w -> assertThat(w).contains("billing/invoices").contains("ReferenceGrant"));

        var granted = translate(with(GATEWAY, otherService, route, grant));
        Route allowed = granted.of(ProxyId.gateway("default", "public"))
                .routes()
                .get("http.8000")
                .getVirtualHosts(0)
                .getRoutes(0);
        assertThat(allowed.getRoute().getCluster()).isEqualTo("outbound|8080||invoices.billing.svc.cluster.local");
    }

    @Test
    void aTcpListenerProxiesToTheBackendsOfTheOldestTcpRouteAttachedToIt() throws Exception {
        String gateway = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: public, namespace: default}
                spec:
                  gatewayClassName: istio
                  listeners:
                  - {name: db, port: 5432, protocol: TCP}
                  - {name: web, port: 8000, protocol: HTTP}
                  - {name: clash, port: 8000, protocol: TCP}
                  - {name: lonely, port: 6379, protocol: TCP}
                """;
        String routes = """
                apiVersion: gateway.networking.k8s.io/v1alpha2
                kind: TCPRoute
                metadata: {name: db, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z"}
                spec:
                  parentRefs: [{name: public, sectionName: db}]
                  rules:
                  - backendRefs:
                    - {name: reviews, port: 9080, weight: 90}
                    - {name: ratings, port: 9080, weight: 10}
                ---
                apiVersion: gateway.networking.k8s.io/v1alpha2
                kind: TCPRoute
                metadata: {name: late-db, namespace: default, creationTimestamp: "2026-01-02T00:00:00Z"}
                spec:
                  parentRefs: [{name: public, sectionName: db}]
                  rules: [{backendRefs: [{name: ratings, port: 9080}]}]
                """;
        var translation = translate(with(gateway, routes));
        ProxyResources proxy = translation.of(ProxyId.gateway("default", "public"));

        assertThat(proxy.listeners()).containsOnlyKeys("0.0.0.0_5432", "0.0.0.0_8000");
        var listener = proxy.listeners().get("0.0.0.0_5432");
        assertThat(listener.getListenerFiltersList())
                .as("no TLS inspector: a server-first protocol must not wait for a client hello")
                .isEmpty();
        var tcp = listener.getFilterChains(0)
                .getFilters(0)
                .getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.class);
        assertThat(tcp.getWeightedClusters().getClustersList())
                .extracting(c -> c.getName(), c -> c.getWeight())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("outbound|9080||reviews.default.svc.cluster.local", 90),
                        org.assertj.core.groups.Tuple.tuple("outbound|9080||ratings.default.svc.cluster.local", 10));
        assertThat(proxy.clusters())
                .containsKeys(
                        "outbound|9080||reviews.default.svc.cluster.local",
                        "outbound|9080||ratings.default.svc.cluster.local");
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .anySatisfy(w -> assertThat(w).contains("late-db").contains("taken by the older TCPRoute default/db"))
                .anySatisfy(w -> assertThat(w).contains("'clash'").contains("already serves plain HTTP"))
                .anySatisfy(w -> assertThat(w).contains("6379").contains("no TCPRoute"))
                .noneSatisfy(w -> assertThat(w).contains("web"));
    }

    @Test
    void aTlsListenerPassesTlsThroughToTheBackendsOfEachAttachedTlsRoute() {
        String gateway = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: public, namespace: default}
                spec:
                  gatewayClassName: istio
                  listeners:
                  - name: tls
                    port: 443
                    protocol: TLS
                    tls: {mode: Passthrough}
                    allowedRoutes: {namespaces: {from: All}}
                  - name: terminate
                    port: 8443
                    protocol: TLS
                    tls: {mode: Terminate}
                """;
        String routes = """
                apiVersion: gateway.networking.k8s.io/v1alpha2
                kind: TLSRoute
                metadata: {name: shop, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z"}
                spec:
                  parentRefs: [{name: public, sectionName: tls}]
                  hostnames: [shop.example.com]
                  rules:
                  - backendRefs:
                    - {name: reviews, port: 9080, weight: 90}
                    - {name: ratings, port: 9080, weight: 10}
                ---
                apiVersion: gateway.networking.k8s.io/v1alpha2
                kind: TLSRoute
                metadata: {name: everything-else, namespace: default, creationTimestamp: "2026-01-02T00:00:00Z"}
                spec:
                  parentRefs: [{name: public}]
                  rules: [{backendRefs: [{name: ratings, port: 9080}]}]
                ---
                apiVersion: gateway.networking.k8s.io/v1alpha2
                kind: TLSRoute
                metadata: {name: late-shop, namespace: default, creationTimestamp: "2026-01-03T00:00:00Z"}
                spec:
                  parentRefs: [{name: public, sectionName: tls}]
                  hostnames: [shop.example.com]
                  rules: [{backendRefs: [{name: ratings, port: 9080}]}]
                """;
        var translation = translate(with(gateway, routes));
        ProxyResources proxy = translation.of(ProxyId.gateway("default", "public"));

        assertThat(proxy.listeners()).containsOnlyKeys("0.0.0.0_443");
        var listener = proxy.listeners().get("0.0.0.0_443");
        assertThat(listener.getListenerFilters(0).getName()).isEqualTo("envoy.filters.listener.tls_inspector");
        assertThat(listener.getFilterChainsList()).hasSize(2);
        assertThat(listener.getFilterChains(0).getFilterChainMatch().getServerNamesList())
                .containsExactly("shop.example.com");
        assertThat(listener.getFilterChains(1).hasFilterChainMatch())
                .as("a route without hostnames on a listener without one: the default chain")
                .isFalse();
        assertThat(proxy.routes()).isEmpty();
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .anySatisfy(w -> assertThat(w).contains("late-shop").contains("an earlier TLSRoute takes it"))
                .anySatisfy(w -> assertThat(w).contains("terminate").contains("Terminate"))
                .hasSize(2);
    }

    @Test
    void aCertificateInAnotherNamespaceServesWhenAReferenceGrantThereAllowsIt() {
        String cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        String key = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
        String secret = """
                apiVersion: v1
                kind: Secret
                metadata: {name: shared-cert, namespace: certs}
                type: kubernetes.io/tls
                stringData: {tls.crt: "%s", tls.key: "%s"}
                """.formatted(cert.replace("\n", "\\n"), key.replace("\n", "\\n"));
        String gateway = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: public, namespace: default}
                spec:
                  gatewayClassName: istio
                  listeners:
                  - name: secure
                    port: 8443
                    protocol: HTTPS
                    tls: {certificateRefs: [{name: shared-cert, namespace: certs}]}
                """;
        String route = ROUTE.replace("sectionName: web", "sectionName: secure");
        String grant = """
                apiVersion: gateway.networking.k8s.io/v1beta1
                kind: ReferenceGrant
                metadata: {name: default-gateways, namespace: certs}
                spec:
                  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: default}]
                  to: [{group: "", kind: Secret, name: shared-cert}]
                """;
        var granted = translate(with(gateway, route, secret, grant));
        assertThat(granted.of(ProxyId.gateway("default", "public")).listeners()).containsOnlyKeys("0.0.0.0_8443");
        assertThat(granted.warnings()).isEmpty();

        for (String other : List.of(
                grant.replace("namespace: default}", "namespace: shop}"),
                grant.replace("name: shared-cert}", "name: another-cert}"),
                grant.replace("kind: Gateway,", "kind: HTTPRoute,"),
                grant.replace("namespace: certs}", "namespace: default}"))) {
            var refused = translate(with(gateway, route, secret, other));
            assertThat(refused.of(ProxyId.gateway("default", "public")).listeners())
                    .as(other)
                    .isEmpty();
            assertThat(refused.warnings())
                    .extracting(Object::toString)
                    .anySatisfy(w -> assertThat(w).contains("certs/shared-cert").contains("ReferenceGrant"));
        }
    }

    @Test
    void aRouteFromAnotherNamespaceIsNotAttachedByDefault() {
        String elsewhere = ROUTE.replace("namespace: default}", "namespace: other}")
                .replace(
                        "parentRefs: [{name: public, sectionName: web}]",
                        "parentRefs: [{name: public, namespace: default}]");
        var translation = translate(with(elsewhere, GATEWAY));
        assertThat(translation
                        .of(ProxyId.gateway("default", "public"))
                        .routes()
                        .get("http.8000")
                        .getVirtualHostsList())
                .isEmpty();
        assertThat(translation.warnings())
                .anySatisfy(w -> assertThat(w.toString()).contains("own namespace only"));
    }

    @Test
    void aListenerWithANamespaceSelectorAdmitsRoutesOnlyFromTheNamespacesItPicks() {
        String selecting = GATEWAY.replace(
                "{name: web, port: 8000, protocol: HTTP, hostname: \"*.example.com\"}",
                "{name: web, port: 8000, protocol: HTTP, hostname: \"*.example.com\", allowedRoutes: {namespaces:"
                        + " {from: Selector, selector: {matchLabels: {shared-gateway: \"true\"},"
                        + " matchExpressions: [{key: env, operator: NotIn, values: [dev]}]}}}}");
        String namespaces = """
                apiVersion: v1
                kind: Namespace
                metadata: {name: team-a, labels: {shared-gateway: "true", env: prod}}
                ---
                apiVersion: v1
                kind: Namespace
                metadata: {name: team-b, labels: {shared-gateway: "true", env: dev}}
                ---
                apiVersion: v1
                kind: Namespace
                metadata: {name: team-c}
                """;
        List<String> routes = new java.util.ArrayList<>();
        for (String team : List.of("team-a", "team-b", "team-c")) {
            routes.add(ROUTE.replace("namespace: default}", "namespace: " + team + "}")
                    .replace("name: shop,", "name: shop-" + team + ",")
                    .replace("shop.example.com", team + ".example.com")
                    .replace(
                            "parentRefs: [{name: public, sectionName: web}]",
                            "parentRefs: [{name: public, namespace: default}]"));
        }
        var translation = translate(with(selecting, namespaces, routes.get(0), routes.get(1), routes.get(2)));
        assertThat(translation
                        .of(ProxyId.gateway("default", "public"))
                        .routes()
                        .get("http.8000")
                        .getVirtualHostsList())
                .singleElement()
                .satisfies(v -> assertThat(v.getDomainsList()).contains("team-a.example.com"));
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .anySatisfy(w -> assertThat(w).contains("team-b/shop-team-b").contains("selector picks"))
                .anySatisfy(w -> assertThat(w).contains("team-c/shop-team-c").contains("selector picks"));
    }

    @Test
    void anHttpRouteAttachedToAServiceReplacesTheWaypointRoutes() {
        String gamma = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: reviews-split, namespace: default}
                spec:
                  parentRefs: [{group: "", kind: Service, name: reviews, port: 9080}]
                  rules:
                  - backendRefs: [{name: reviews, port: 9080}]
                    timeouts: {request: 4s}
                """;
        var translation = translate(with(gamma, "09-virtualservice-reviews.yaml"));
        Route route = waypoint(translation)
                .routes()
                .get("reviews.default.svc.cluster.local:9080")
                .getVirtualHosts(0)
                .getRoutes(0);
        assertThat(route.getName()).isEqualTo("default/reviews-split#0");
        assertThat(route.getRoute().getTimeout().getSeconds()).isEqualTo(4);
        assertThat(translation.warnings())
                .anySatisfy(w -> assertThat(w.toString())
                        .contains("VirtualService default/reviews")
                        .contains("precedence"));
    }
}
