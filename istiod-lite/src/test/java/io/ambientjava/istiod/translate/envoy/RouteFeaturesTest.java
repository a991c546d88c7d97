package io.ambientjava.istiod.translate.envoy;

import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.translate;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.waypoint;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.with;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import io.ambientjava.istiod.config.IstioDurations;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.List;
import org.junit.jupiter.api.Test;

/** VirtualService and DestinationRule features beyond the seed examples, and bad input. */
class RouteFeaturesTest {

    private static final String REVIEWS = "reviews.default.svc.cluster.local";

    private static String reviews(String http) {
        return """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                %s""".formatted(http.indent(2));
    }

    private static List<Route> routes(EnvoyTranslation translation) {
        return waypoint(translation)
                .routes()
                .get(REVIEWS + ":9080")
                .getVirtualHosts(0)
                .getRoutesList();
    }

    @Test
    void matchesMapToEnvoyMatchersOneRoutePerMatchInOrder() {
        var translation = translate(with(reviews("""
                - name: jason
                  match:
                  - uri: {prefix: /api}
                    ignoreUriCase: true
                    headers:
                      end-user: {exact: jason}
                      X-Trace: {}
                    withoutHeaders:
                      x-canary: {prefix: "no"}
                    queryParams:
                      debug: {regex: "1|true"}
                    method: {exact: GET}
                    authority: {prefix: reviews}
                  - uri: {exact: /health}
                  route: [{destination: {host: reviews, subset: v2}}]
                - route: [{destination: {host: reviews, subset: v1}}]
                """)));
        assertThat(translation.warnings()).isEmpty();
        List<Route> routes = routes(translation);
        assertThat(routes).hasSize(3);
        Route first = routes.getFirst();
        assertThat(first.getName()).isEqualTo("jason");
        assertThat(first.getMatch().getPrefix()).isEqualTo("/api");
        assertThat(first.getMatch().getCaseSensitive().getValue()).isFalse();
        assertThat(first.getMatch().getHeadersList())
                .extracting(HeaderMatcher::getName)
                .containsExactly("end-user", "x-trace", "x-canary", ":method", ":authority");
        HeaderMatcher user = first.getMatch().getHeaders(0);
        assertThat(user.getStringMatch().getExact()).isEqualTo("jason");
        assertThat(first.getMatch().getHeaders(1).getPresentMatch()).isTrue();
        HeaderMatcher canary = first.getMatch().getHeaders(2);
        assertThat(canary.getInvertMatch()).isTrue();
        assertThat(canary.getStringMatch().getPrefix()).isEqualTo("no");
        assertThat(first.getMatch().getHeaders(3).getStringMatch().getExact()).isEqualTo("GET");
        assertThat(first.getMatch().getHeaders(4).getStringMatch().getPrefix()).isEqualTo("reviews");
        assertThat(first.getMatch().getQueryParameters(0).getName()).isEqualTo("debug");
        assertThat(first.getMatch()
                        .getQueryParameters(0)
                        .getStringMatch()
                        .getSafeRegex()
                        .getRegex())
                .isEqualTo("1|true");
        assertThat(routes.get(1).getMatch().getPath()).isEqualTo("/health");
        assertThat(routes.get(1).getRoute().getCluster()).isEqualTo("outbound|9080|v2|" + REVIEWS);
        assertThat(routes.get(2).getMatch().getPrefix()).isEqualTo("/");
        assertThat(routes.get(2).getRoute().getCluster()).isEqualTo("outbound|9080|v1|" + REVIEWS);
    }

    @Test
    void sourceLabelsAndOtherPortsNeverMatchAtAWaypoint() {
        var translation = translate(with(reviews("""
                - match: [{sourceLabels: {app: productpage}}]
                  route: [{destination: {host: reviews, subset: v2}}]
                - match: [{port: 8000}]
                  route: [{destination: {host: reviews, subset: v3}}]
                - route: [{destination: {host: reviews, subset: v1}}]
                """)));
        assertThat(routes(translation)).extracting(Route::getName).containsExactly("default/reviews#2");
        assertThat(translation.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString())
                        .contains("VirtualService default/reviews")
                        .contains("sourceLabels"));
    }

    @Test
    void abortRedirectRewriteDirectResponseAndHeaders() throws Exception {
        List<Route> routes = routes(translate(with(reviews("""
                - match: [{uri: {prefix: /old}}]
                  redirect: {uri: /new, authority: reviews.example, redirectCode: 302}
                - match: [{uri: {prefix: /v1}}]
                  rewrite: {uri: /, authority: reviews-v1}
                  headers:
                    request: {set: {x-env: test}, add: {x-via: waypoint}, remove: [cookie]}
                    response: {remove: [server]}
                  fault:
                    abort: {httpStatus: 503, percentage: {value: 0.5}}
                  route: [{destination: {host: reviews, subset: v1}}]
                - match: [{uri: {exact: /teapot}}]
                  directResponse: {status: 418, body: {string: short and stout}}
                """))));
        Route redirect = routes.get(0);
        assertThat(redirect.getRedirect().getPathRedirect()).isEqualTo("/new");
        assertThat(redirect.getRedirect().getHostRedirect()).isEqualTo("reviews.example");
        assertThat(redirect.getRedirect().getResponseCode()).isEqualTo(RedirectAction.RedirectResponseCode.FOUND);
        Route rewrite = routes.get(1);
        assertThat(rewrite.getRoute().getPrefixRewrite()).isEqualTo("/");
        assertThat(rewrite.getRoute().getHostRewriteLiteral()).isEqualTo("reviews-v1");
        assertThat(rewrite.getRequestHeadersToAddList())
                .extracting(h -> h.getHeader().getKey(), HeaderValueOption::getAppendAction)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                "x-env", HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD),
                        org.assertj.core.groups.Tuple.tuple(
                                "x-via", HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD));
        assertThat(rewrite.getRequestHeadersToRemoveList()).containsExactly("cookie");
        assertThat(rewrite.getResponseHeadersToRemoveList()).containsExactly("server");
        HTTPFault fault = rewrite.getTypedPerFilterConfigMap()
                .get("envoy.filters.http.fault")
                .unpack(HTTPFault.class);
        assertThat(fault.getAbort().getHttpStatus()).isEqualTo(503);
        assertThat(fault.getAbort().getPercentage().getNumerator()).isEqualTo(5_000);
        Route teapot = routes.get(2);
        assertThat(teapot.getDirectResponse().getStatus()).isEqualTo(418);
        assertThat(teapot.getDirectResponse().getBody().getInlineString()).isEqualTo("short and stout");
    }

    @Test
    void corsPolicyBecomesTheRoutesCorsConfigAsIstioWritesIt() throws Exception {
        var translation = translate(with(reviews("""
                - match: [{uri: {prefix: /api}}]
                  corsPolicy:
                    allowOrigins: [{exact: "https://app.example.com"}, {prefix: "https://dev."}, {regex: ".*\\\\.test"}]
                    allowMethods: [GET, PUT]
                    allowHeaders: [x-token, content-type]
                    exposeHeaders: [x-trace]
                    maxAge: 24h
                    allowCredentials: true
                  route: [{destination: {host: reviews}}]
                - corsPolicy: {allowOrigin: ["https://old.example.com"], unmatchedPreflights: IGNORE}
                  route: [{destination: {host: reviews}}]
                """)));
        assertThat(translation.warnings()).isEmpty();
        List<Route> routes = routes(translation);
        CorsPolicy api = routes.get(0)
                .getTypedPerFilterConfigMap()
                .get("envoy.filters.http.cors")
                .unpack(CorsPolicy.class);
        assertThat(api.getAllowOriginStringMatchList())
                .extracting(m -> m.getExact() + m.getPrefix() + m.getSafeRegex().getRegex())
                .containsExactly("https://app.example.com", "https://dev.", ".*\\.test");
        assertThat(api.getAllowMethods()).isEqualTo("GET,PUT");
        assertThat(api.getAllowHeaders()).isEqualTo("x-token,content-type");
        assertThat(api.getExposeHeaders()).isEqualTo("x-trace");
        assertThat(api.getMaxAge()).isEqualTo("86400");
        assertThat(api.getAllowCredentials().getValue()).isTrue();
        assertThat(api.getFilterEnabled().getDefaultValue().getNumerator()).isEqualTo(100);
        assertThat(api.getForwardNotMatchingPreflights().getValue()).isTrue();

        CorsPolicy old = routes.get(1)
                .getTypedPerFilterConfigMap()
                .get("envoy.filters.http.cors")
                .unpack(CorsPolicy.class);
        assertThat(old.getAllowOriginStringMatchList())
                .singleElement()
                .satisfies(m -> assertThat(m.getExact()).isEqualTo("https://old.example.com"));
        assertThat(old.hasAllowCredentials()).isFalse();
        assertThat(old.getForwardNotMatchingPreflights().getValue()).isFalse();

        HttpConnectionManager manager = waypoint(translation).listeners().values().stream()
                .flatMap(l -> l.getFilterChainsList().stream())
                .flatMap(c -> c.getFiltersList().stream())
                .filter(f -> f.getName().equals("envoy.filters.network.http_connection_manager"))
                .findFirst()
                .orElseThrow()
                .getTypedConfig()
                .unpack(HttpConnectionManager.class);
        assertThat(manager.getHttpFiltersList())
                .extracting(f -> f.getName())
                .endsWith("envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");
    }

    @Test
    void consistentHashBecomesRingHashClusterAndRouteHashPolicy() {
        String rule = """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews
                  trafficPolicy:
                    loadBalancer:
                      consistentHash: {httpHeaderName: x-user, minimumRingSize: 2048}
                  subsets:
                  - name: v2
                    labels: {version: v2}
                    trafficPolicy:
                      loadBalancer: {simple: LEAST_REQUEST}
                      connectionPool: {http: {http2MaxRequests: 7, maxRetries: 2}, tcp: {connectTimeout: 250ms}}
                """;
        var translation = translate(with(rule));
        ProxyResources waypoint = waypoint(translation);
        Cluster whole = waypoint.clusters().get("outbound|9080||" + REVIEWS);
        assertThat(whole.getLbPolicy()).isEqualTo(Cluster.LbPolicy.RING_HASH);
        assertThat(whole.getRingHashLbConfig().getMinimumRingSize().getValue()).isEqualTo(2048);
        Route route = routes(translation).getFirst();
        assertThat(route.getRoute().getHashPolicy(0).getHeader().getHeaderName())
                .isEqualTo("x-user");
        Cluster v2 = waypoint.clusters().get("outbound|9080|v2|" + REVIEWS);
        assertThat(v2.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
        assertThat(v2.getCircuitBreakers().getThresholds(0).getMaxRequests().getValue())
                .isEqualTo(7);
        assertThat(v2.getCircuitBreakers().getThresholds(0).getMaxRetries().getValue())
                .isEqualTo(2);
        assertThat(v2.getConnectTimeout())
                .isEqualTo(Duration.newBuilder().setNanos(250_000_000).build());
        // The subset rule's own subset v2 merges with the mesh's reviews-subsets rule: v1 and v3 still exist.
        assertThat(waypoint.clusters()).containsKeys("outbound|9080|v1|" + REVIEWS, "outbound|9080|v3|" + REVIEWS);
    }

    @Test
    void retryBudgetBecomesTheClustersRetryBudgetWithIstiosDefaults() {
        String rule = """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews
                  trafficPolicy:
                    retryBudget: {percent: 12.5, minRetryConcurrency: 2}
                    connectionPool: {http: {maxRetries: 9}}
                  subsets:
                  - name: v2
                    labels: {version: v2}
                    trafficPolicy:
                      retryBudget: {}
                """;
        var translation = translate(with(rule));
        assertThat(translation.warnings())
                .noneSatisfy(w -> assertThat(w.toString()).contains("retryBudget"));
        ProxyResources waypoint = waypoint(translation);
        var whole = waypoint.clusters()
                .get("outbound|9080||" + REVIEWS)
                .getCircuitBreakers()
                .getThresholds(0);
        assertThat(whole.getRetryBudget().getBudgetPercent().getValue()).isEqualTo(12.5);
        assertThat(whole.getRetryBudget().getMinRetryConcurrency().getValue()).isEqualTo(2);
        assertThat(whole.getMaxRetries().getValue()).isEqualTo(9); // kept; Envoy ignores it beside a budget
        var v2 = waypoint.clusters()
                .get("outbound|9080|v2|" + REVIEWS)
                .getCircuitBreakers()
                .getThresholds(0);
        assertThat(v2.getRetryBudget().getBudgetPercent().getValue()).isEqualTo(20.0);
        assertThat(v2.getRetryBudget().getMinRetryConcurrency().getValue()).isEqualTo(3);
        assertThat(waypoint.clusters()
                        .get("outbound|9080|v1|" + REVIEWS)
                        .getCircuitBreakers()
                        .getThresholds(0)
                        .hasRetryBudget())
                .as("a subset without its own policy takes the rule's")
                .isTrue();
    }

    @Test
    void aRouteToAnUndefinedSubsetNamesAClusterThatIsNotSentAndWarns() {
        var translation = translate(with(reviews("""
                - route: [{destination: {host: reviews, subset: v9}}]
                """)));
        assertThat(routes(translation).getFirst().getRoute().getCluster()).isEqualTo("outbound|9080|v9|" + REVIEWS);
        assertThat(waypoint(translation).clusters()).doesNotContainKey("outbound|9080|v9|" + REVIEWS);
        assertThat(translation.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString()).contains("subset 'v9'").contains("503"));
    }

    @Test
    void aRouteToAnUnknownHostWarnsAndGets503() {
        var translation = translate(with(reviews("""
                - route: [{destination: {host: nowhere.example.com, port: {number: 80}}}]
                """)));
        assertThat(routes(translation).getFirst().getRoute().getCluster())
                .isEqualTo("outbound|80||nowhere.example.com");
        assertThat(translation.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString()).contains("nowhere.example.com is not a known service"));
    }

    @Test
    void weightsAreRelativeAndZeroWeightDestinationsAreDropped() {
        Route route = routes(translate(with(reviews("""
                - route:
                  - {destination: {host: reviews, subset: v1}, weight: 2}
                  - {destination: {host: reviews, subset: v2}, weight: 1}
                  - {destination: {host: reviews, subset: v3}, weight: 0}
                """)))).getFirst();
        assertThat(route.getRoute().getWeightedClusters().getClustersList())
                .extracting(c -> c.getName(), c -> c.getWeight().getValue())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("outbound|9080|v1|" + REVIEWS, 2),
                        org.assertj.core.groups.Tuple.tuple("outbound|9080|v2|" + REVIEWS, 1));
    }

    @Test
    void aBadDurationThatGotPastValidationLeavesTheRouteOutWithAWarningNamingIt() {
        // Validation refuses such a VirtualService (NetworkingValidationTest); a source that skips validation
        // must still not break the translation of everything else.
        var valid = with(reviews("""
                - timeout: 1s
                  route: [{destination: {host: reviews, subset: v1}}]
                - route: [{destination: {host: reviews, subset: v2}}]
                """));
        var resources = new java.util.ArrayList<io.ambientjava.istiod.config.ConfigResource>();
        for (var resource : valid.resources().values()) {
            if (resource.object() instanceof io.fabric8.istio.api.networking.v1.VirtualService vs) {
                var broken = new io.fabric8.istio.api.networking.v1.VirtualServiceBuilder(vs)
                        .editSpec()
                        .editFirstHttp()
                        .withTimeout("soon")
                        .endHttp()
                        .endSpec()
                        .build();
                resources.add(
                        new io.ambientjava.istiod.config.ConfigResource(resource.key(), broken, resource.location()));
            } else {
                resources.add(resource);
            }
        }
        var translation = translate(io.ambientjava.istiod.config.ConfigSnapshot.of(2, resources));
        assertThat(routes(translation)).extracting(Route::getName).containsExactly("default/reviews#1");
        assertThat(translation.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString()).contains("'soon' is not a duration"));
    }

    @Test
    void retriesZeroAttemptsTurnsRetriesOffAndRetryOnCodesAreStatusCodes() {
        List<Route> routes = routes(translate(with(reviews("""
                - match: [{uri: {prefix: /a}}]
                  retries: {attempts: 0}
                  route: [{destination: {host: reviews, subset: v1}}]
                - retries: {attempts: 4, retryOn: "gateway-error,502,504"}
                  route: [{destination: {host: reviews, subset: v1}}]
                """))));
        assertThat(routes.get(0).getRoute().hasRetryPolicy()).isFalse();
        var retry = routes.get(1).getRoute().getRetryPolicy();
        assertThat(retry.getNumRetries().getValue()).isEqualTo(4);
        assertThat(retry.getRetryOn()).isEqualTo("gateway-error,retriable-status-codes");
        assertThat(retry.getRetriableStatusCodesList()).containsExactly(502, 504);
    }

    @Test
    void aVirtualServiceForAnotherHostDoesNotTouchThisRouteTable() {
        var translation = translate(with("10-virtualservice-ratings.yaml"));
        assertThat(routes(translation)).extracting(Route::getName).containsExactly("default");
    }

    @Test
    void durationsInGoAndProtobufSpellings() {
        assertThat(IstioDurations.parse("1m30s").orElseThrow().getSeconds()).isEqualTo(90);
        assertThat(IstioDurations.parse("0.5s").orElseThrow().getNanos()).isEqualTo(500_000_000);
        assertThat(IstioDurations.parse("1h").orElseThrow().getSeconds()).isEqualTo(3600);
        assertThat(IstioDurations.parse("250ms").orElseThrow().getNanos()).isEqualTo(250_000_000);
        assertThat(IstioDurations.parse("1m").orElseThrow().getSeconds()).isEqualTo(60);
        assertThat(IstioDurations.parse("")).isEmpty();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> IstioDurations.parse("5 s"))
                .hasMessageContaining("'5 s' is not a duration");
    }

    @Test
    void tcpPortsProxyToTheServiceOrSplitByTheVirtualServiceTcpRoutes() throws Exception {
        String database = """
                apiVersion: v1
                kind: Service
                metadata: {name: db, namespace: default}
                spec: {clusterIP: 198.19.0.40, selector: {app: db}, ports: [{name: tcp-sql, port: 5432}]}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: db, namespace: default}
                spec:
                  host: db
                  subsets: [{name: primary, labels: {role: primary}}, {name: replica, labels: {role: replica}}]
                """;
        String split = """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: db, namespace: default}
                spec:
                  hosts: [db]
                  tcp:
                  - match: [{port: 5432}]
                    route:
                    - {destination: {host: db, subset: primary}, weight: 90}
                    - {destination: {host: db, subset: replica}, weight: 10}
                """;
        String name = "inbound-vip|5432|tcp|db.default.svc.cluster.local";
        var plain = waypoint(translate(with(database))).listeners().get(name);
        var proxy = plain.getFilterChains(0)
                .getFilters(0)
                .getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.class);
        assertThat(plain.getFilterChains(0).getFilters(0).getName()).isEqualTo("envoy.filters.network.tcp_proxy");
        assertThat(proxy.getCluster()).isEqualTo("outbound|5432||db.default.svc.cluster.local");
        var weighted = waypoint(translate(with(database, split)))
                .listeners()
                .get(name)
                .getFilterChains(0)
                .getFilters(0)
                .getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.class);
        assertThat(weighted.getWeightedClusters().getClustersList())
                .extracting(c -> c.getName(), c -> c.getWeight())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("outbound|5432|primary|db.default.svc.cluster.local", 90),
                        org.assertj.core.groups.Tuple.tuple("outbound|5432|replica|db.default.svc.cluster.local", 10));
    }

    @Test
    void policyFieldsAWaypointDoesNotApplyAreReportedNotDropped() {
        String rule = """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: ratings-tuning, namespace: default}
                spec:
                  host: ratings
                  trafficPolicy:
                    tls: {mode: SIMPLE}
                    loadBalancer: {simple: ROUND_ROBIN, localityLbSetting: {enabled: true}}
                  subsets:
                  - name: canary
                    labels: {version: v3}
                    trafficPolicy: {proxyProtocol: {version: V1}}
                """;
        var translation = translate(with(rule));
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .containsExactlyInAnyOrder(
                        "DestinationRule default/ratings-tuning: spec.trafficPolicy.loadBalancer.localityLbSetting"
                                + " not applied by waypoints and gateways yet",
                        "DestinationRule default/ratings-tuning:"
                                + " spec.subsets[0].trafficPolicy.proxyProtocol not applied by"
                                + " waypoints and gateways yet");
        // ISTIO_MUTUAL is what HBONE gives anyway: not reported.
        String mutual = rule.replace("tls: {mode: SIMPLE}", "tls: {mode: ISTIO_MUTUAL}")
                .replace(", localityLbSetting: {enabled: true}", "");
        assertThat(translate(with(mutual)).warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString()).contains("proxyProtocol"));
    }

    @Test
    void h2UpgradePolicyUpgradeMakesTheClusterSpeakHttp2AndDoNotUpgradeLeavesIt() {
        String rule = """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: ratings-h2, namespace: default}
                spec:
                  host: ratings
                  trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: UPGRADE}}}
                  subsets:
                  - name: old
                    labels: {version: v1}
                    trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: DO_NOT_UPGRADE}}}
                  - name: new
                    labels: {version: v2}
                """;
        var translation = translate(with(rule));
        var clusters = waypoint(translation).clusters();
        assertThat(clusters.get("outbound|9080||ratings.default.svc.cluster.local")
                        .hasHttp2ProtocolOptions())
                .isTrue();
        assertThat(clusters.get("outbound|9080|new|ratings.default.svc.cluster.local")
                        .hasHttp2ProtocolOptions())
                .as("the top-level policy applies to the subset")
                .isTrue();
        assertThat(clusters.get("outbound|9080|old|ratings.default.svc.cluster.local")
                        .hasHttp2ProtocolOptions())
                .isFalse();
        assertThat(translation.warnings()).isEmpty();
    }

    private static io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy tcpProxyOf(
            io.envoyproxy.envoy.config.listener.v3.Listener listener) throws Exception {
        return listener.getFilterChains(0)
                .getFilters(0)
                .getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.class);
    }

    @Test
    void tcpIdleTimeoutAndMaxConnectionDurationReachTheTcpProxyAndTheClusterAsIstioSetsThem() throws Exception {
        String database = """
                apiVersion: v1
                kind: Service
                metadata: {name: db, namespace: default}
                spec: {clusterIP: 198.19.0.40, selector: {app: db}, ports: [{name: tcp-sql, port: 5432}]}
                """;
        String rule = """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: db, namespace: default}
                spec:
                  host: db
                  trafficPolicy:
                    connectionPool: {tcp: {idleTimeout: 90s, maxConnectionDuration: 2h}}
                """;
        String listener = "inbound-vip|5432|tcp|db.default.svc.cluster.local";
        var plain = tcpProxyOf(waypoint(translate(with(database))).listeners().get(listener));
        assertThat(plain.hasIdleTimeout()).as("Envoy's 1 h default stays").isFalse();
        assertThat(plain.hasMaxDownstreamConnectionDuration()).isFalse();

        var translation = translate(with(database, rule));
        assertThat(translation.warnings()).isEmpty();
        var tuned = tcpProxyOf(waypoint(translation).listeners().get(listener));
        assertThat(tuned.getIdleTimeout().getSeconds()).isEqualTo(90);
        assertThat(tuned.getMaxDownstreamConnectionDuration().getSeconds()).isEqualTo(7200);
        var cluster = waypoint(translation).clusters().get("outbound|5432||db.default.svc.cluster.local");
        assertThat(cluster.getCommonHttpProtocolOptions().getIdleTimeout().getSeconds())
                .as("without http.idleTimeout the TCP one closes idle upstream connections")
                .isEqualTo(90);

        String httpWins = rule.replace(
                "{tcp: {idleTimeout: 90s, maxConnectionDuration: 2h}}",
                "{tcp: {idleTimeout: 90s}, http: {idleTimeout: 15s}}");
        var both = waypoint(translate(with(database, httpWins)));
        assertThat(both.clusters()
                        .get("outbound|5432||db.default.svc.cluster.local")
                        .getCommonHttpProtocolOptions()
                        .getIdleTimeout()
                        .getSeconds())
                .isEqualTo(15);
        assertThat(tcpProxyOf(both.listeners().get(listener)).getIdleTimeout().getSeconds())
                .isEqualTo(90);
    }

    @Test
    void maxConcurrentStreamsLimitsHttp2ClustersAndUseClientProtocolKeepsTheClientsProtocol() {
        String rule = """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: ratings-h2, namespace: default}
                spec:
                  host: ratings
                  trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: UPGRADE, maxConcurrentStreams: 16}}}
                  subsets:
                  - name: plain
                    labels: {version: v1}
                    trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: DO_NOT_UPGRADE, maxConcurrentStreams: 16}}}
                  - name: client
                    labels: {version: v2}
                    trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: UPGRADE, useClientProtocol: true}}}
                """;
        var translation = translate(with(rule));
        assertThat(translation.warnings()).isEmpty();
        var clusters = waypoint(translation).clusters();
        var whole = clusters.get("outbound|9080||ratings.default.svc.cluster.local");
        assertThat(whole.getHttp2ProtocolOptions().getMaxConcurrentStreams().getValue())
                .isEqualTo(16);
        assertThat(clusters.get("outbound|9080|plain|ratings.default.svc.cluster.local")
                        .hasHttp2ProtocolOptions())
                .as("an HTTP/1.1 upstream has no streams to limit")
                .isFalse();
        assertThat(clusters.get("outbound|9080|client|ratings.default.svc.cluster.local")
                        .hasHttp2ProtocolOptions())
                .as("useClientProtocol wins over UPGRADE, as in Istio")
                .isFalse();
    }

    @Test
    void warmupBecomesSlowStartOfRoundRobinAndLeastRequestClustersWithIstiosDefaults() {
        String rule = """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: ratings-warmup, namespace: default}
                spec:
                  host: ratings
                  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN, warmup: {duration: 90s}}}
                  subsets:
                  - name: lr
                    labels: {version: v1}
                    trafficPolicy:
                      loadBalancer: {simple: LEAST_REQUEST, warmup: {duration: 60s, aggression: 2, minimumPercent: 25}}
                  - name: old-spelling
                    labels: {version: v2}
                    trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN, warmupDurationSecs: 30s}}
                  - name: hashed
                    labels: {version: v3}
                    trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}, warmup: {duration: 60s}}}
                """;
        var translation = translate(with(rule));
        var clusters = waypoint(translation).clusters();
        var whole = clusters.get("outbound|9080||ratings.default.svc.cluster.local")
                .getRoundRobinLbConfig()
                .getSlowStartConfig();
        assertThat(whole.getSlowStartWindow().getSeconds()).isEqualTo(90);
        assertThat(whole.getAggression().getDefaultValue()).isEqualTo(1.0);
        assertThat(whole.getMinWeightPercent().getValue()).isEqualTo(10.0);
        var lr = clusters.get("outbound|9080|lr|ratings.default.svc.cluster.local");
        assertThat(lr.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
        assertThat(lr.getLeastRequestLbConfig()
                        .getSlowStartConfig()
                        .getAggression()
                        .getDefaultValue())
                .isEqualTo(2.0);
        assertThat(lr.getLeastRequestLbConfig()
                        .getSlowStartConfig()
                        .getMinWeightPercent()
                        .getValue())
                .isEqualTo(25.0);
        assertThat(clusters.get("outbound|9080|old-spelling|ratings.default.svc.cluster.local")
                        .getRoundRobinLbConfig()
                        .getSlowStartConfig()
                        .getSlowStartWindow()
                        .getSeconds())
                .isEqualTo(30);
        assertThat(clusters.get("outbound|9080|hashed|ratings.default.svc.cluster.local")
                        .hasRingHashLbConfig())
                .isTrue();
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .singleElement()
                .satisfies(w -> assertThat(w).contains("warmup applies to ROUND_ROBIN and LEAST_REQUEST only"));
    }

    @Test
    void tcpKeepaliveBecomesTheClustersUpstreamConnectionOptionsAsIstioSetsThem() {
        String rule = """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: ratings-keepalive, namespace: default}
                spec:
                  host: ratings
                  trafficPolicy:
                    connectionPool: {tcp: {tcpKeepalive: {time: 300s, interval: 30s, probes: 4}}}
                  subsets:
                  - name: defaults
                    labels: {version: v1}
                    trafficPolicy: {connectionPool: {tcp: {tcpKeepalive: {}}}}
                """;
        var translation = translate(with(rule));
        assertThat(translation.warnings()).isEmpty();
        var clusters = waypoint(translation).clusters();
        var keepalive = clusters.get("outbound|9080||ratings.default.svc.cluster.local")
                .getUpstreamConnectionOptions()
                .getTcpKeepalive();
        assertThat(keepalive.getKeepaliveTime().getValue()).isEqualTo(300);
        assertThat(keepalive.getKeepaliveInterval().getValue()).isEqualTo(30);
        assertThat(keepalive.getKeepaliveProbes().getValue()).isEqualTo(4);
        var kernelDefaults = clusters.get("outbound|9080|defaults|ratings.default.svc.cluster.local")
                .getUpstreamConnectionOptions();
        assertThat(kernelDefaults.hasTcpKeepalive())
                .as("SO_KEEPALIVE with the kernel's timers")
                .isTrue();
        assertThat(kernelDefaults.getTcpKeepalive().hasKeepaliveTime()).isFalse();
    }
}
