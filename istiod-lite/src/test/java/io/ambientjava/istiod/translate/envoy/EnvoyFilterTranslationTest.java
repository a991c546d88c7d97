package io.ambientjava.istiod.translate.envoy;

import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.translate;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.waypoint;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.with;
import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.istiod.config.envoyfilter.RateLimitFilters;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** EnvoyFilters for local rate limiting, applied to the waypoint's and the ingress gateway's resources. */
class EnvoyFilterTranslationTest {

    private static final String REVIEWS_LISTENER = "inbound-vip|9080|http|reviews.default.svc.cluster.local";
    private static final String REVIEWS_ROUTES = "reviews.default.svc.cluster.local:9080";

    private static final String INGRESS = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: edge, namespace: default}
            spec:
              selector: {istio: ingressgateway}
              servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: shop, namespace: default}
            spec:
              hosts: ["*"]
              gateways: [edge]
              http: [{route: [{destination: {host: reviews}}]}]
            """;

    static HttpConnectionManager hcm(Listener listener) throws Exception {
        return listener.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
    }

    static List<String> filterNames(Listener listener) throws Exception {
        return hcm(listener).getHttpFiltersList().stream()
                .map(HttpFilter::getName)
                .toList();
    }

    @Test
    void aRootNamespaceFilterGoesBeforeTheRouterOfEveryWaypointListener() throws Exception {
        var translation = translate(with(RateLimitFilters.listenerLimit("istio-system", "SIDECAR_INBOUND", "")));
        ProxyResources waypoint = waypoint(translation);

        for (Listener listener : waypoint.listeners().values()) {
            assertThat(filterNames(listener))
                    .containsExactly(
                            "envoy.filters.http.fault",
                            "envoy.filters.http.cors",
                            "envoy.filters.http.local_ratelimit",
                            "envoy.filters.http.router");
        }
        HttpFilter filter = hcm(waypoint.listeners().get(REVIEWS_LISTENER)).getHttpFilters(2);
        LocalRateLimit config = filter.getTypedConfig().unpack(LocalRateLimit.class); // TypedStruct unwrapped
        assertThat(config.getTokenBucket().getMaxTokens()).isEqualTo(4);
        assertThat(config.getTokenBucket().getTokensPerFill().getValue()).isEqualTo(4);
        assertThat(config.getTokenBucket().getFillInterval().getSeconds()).isEqualTo(60);
        assertThat(config.getFilterEnforced().getDefaultValue().getNumerator()).isEqualTo(100);
        assertThat(config.getResponseHeadersToAdd(0).getHeader().getKey()).isEqualTo("x-local-rate-limit");
        assertThat(translation.warnings()).isEmpty();
    }

    @Test
    void aGatewayContextPatchSkipsTheWaypointAndReachesTheIngressGateway() throws Exception {
        var translation = translate(with(
                INGRESS,
                RateLimitFilters.listenerLimit(
                        "istio-system", "GATEWAY", "  workloadSelector: {labels: {istio: ingressgateway}}")));

        assertThat(filterNames(waypoint(translation).listeners().get(REVIEWS_LISTENER)))
                .doesNotContain("envoy.filters.http.local_ratelimit");
        Listener edge =
                translation.of(ProxyId.gateway("default", "edge")).listeners().get("0.0.0.0_80");
        assertThat(filterNames(edge))
                .containsExactly(
                        "envoy.filters.http.fault",
                        "envoy.filters.http.cors",
                        "envoy.filters.http.local_ratelimit",
                        "envoy.filters.http.router");
    }

    @Test
    void routePatchesMergeThePerRouteLimitAndRateLimitsIntoMatchingVirtualHosts() throws Exception {
        var translation = translate(with(RateLimitFilters.routeLimit("default", "SIDECAR_INBOUND", REVIEWS_ROUTES)));
        ProxyResources waypoint = waypoint(translation);

        // without a sub-filter, INSERT_BEFORE puts the filter first, as Istio does
        assertThat(filterNames(waypoint.listeners().get(REVIEWS_LISTENER)).getFirst())
                .isEqualTo("envoy.filters.http.local_ratelimit");
        Route reviews = waypoint.routes().get(REVIEWS_ROUTES).getVirtualHosts(0).getRoutes(0);
        LocalRateLimit perRoute = reviews.getTypedPerFilterConfigOrThrow("envoy.filters.http.local_ratelimit")
                .unpack(LocalRateLimit.class);
        assertThat(perRoute.getTokenBucket().getMaxTokens()).isEqualTo(10);
        assertThat(perRoute.getDescriptors(0).getEntries(0).getKey()).isEqualTo("path");
        assertThat(reviews.getRoute()
                        .getRateLimits(0)
                        .getActions(0)
                        .getHeaderValueMatch()
                        .getDescriptorValue())
                .isEqualTo("yes");
        // other services' virtual hosts are left alone
        assertThat(waypoint.routes()
                        .get("ratings.default.svc.cluster.local:9080")
                        .getVirtualHosts(0)
                        .getRoutes(0)
                        .getTypedPerFilterConfigMap())
                .isEmpty();
    }

    @Test
    void aFilterInAnotherNamespaceOrForOtherPodsDoesNotApply() throws Exception {
        var translation = translate(with(
                RateLimitFilters.listenerLimit("shop", "ANY", "").replace("local-limit", "elsewhere"),
                RateLimitFilters.listenerLimit("default", "ANY", "  workloadSelector: {labels: {app: nothing}}")));

        assertThat(filterNames(waypoint(translation).listeners().get(REVIEWS_LISTENER)))
                .doesNotContain("envoy.filters.http.local_ratelimit");
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .anySatisfy(w -> assertThat(w).contains("elsewhere").contains("selects no waypoint"))
                .anySatisfy(w -> assertThat(w).contains("local-limit").contains("selects no waypoint"));
    }

    @Test
    void aWaypointIsSelectedByItsGatewayNameLabelOrByTargetRefs() throws Exception {
        var bySelector = translate(with(RateLimitFilters.listenerLimit(
                "default", "ANY", "  workloadSelector: {labels: {gateway.networking.k8s.io/gateway-name: waypoint}}")));
        assertThat(filterNames(waypoint(bySelector).listeners().get(REVIEWS_LISTENER)))
                .contains("envoy.filters.http.local_ratelimit");

        var byRef = translate(with(RateLimitFilters.listenerLimit(
                "default",
                "ANY",
                "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: waypoint}]")));
        assertThat(filterNames(waypoint(byRef).listeners().get(REVIEWS_LISTENER)))
                .contains("envoy.filters.http.local_ratelimit");

        var otherRef = translate(with(RateLimitFilters.listenerLimit(
                "default", "ANY", "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: other}]")));
        assertThat(filterNames(waypoint(otherRef).listeners().get(REVIEWS_LISTENER)))
                .doesNotContain("envoy.filters.http.local_ratelimit");
    }

    @Test
    void twoFiltersForOneListenerInsertOnlyTheFirst() throws Exception {
        var translation = translate(with(
                RateLimitFilters.listenerLimit("istio-system", "ANY", ""),
                RateLimitFilters.listenerLimit("default", "ANY", "").replace("local-limit", "second")));
        assertThat(filterNames(waypoint(translation).listeners().get(REVIEWS_LISTENER)))
                .containsOnlyOnce("envoy.filters.http.local_ratelimit");
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .anySatisfy(w -> assertThat(w).contains("second").contains("not inserted twice"));
    }

    @Test
    void theDocsSidecarVirtualHostNameMeansEveryWaypointVirtualHostOnThatPort() throws Exception {
        ProxyResources waypoint = waypoint(
                translate(with(RateLimitFilters.routeLimit("default", "SIDECAR_INBOUND", "inbound|http|9080"))));
        for (RouteConfiguration table : waypoint.routes().values()) {
            var perFilter = assertThat(table.getVirtualHosts(0).getRoutes(0).getTypedPerFilterConfigMap())
                    .as(table.getName());
            if (table.getName().endsWith(":9080")) {
                perFilter.containsKey("envoy.filters.http.local_ratelimit"); // reviews, ratings
            } else {
                perFilter.isEmpty(); // product-api serves 8080
            }
        }
        assertThat(EnvoyFilterPatcher.virtualHostFits(
                        "inbound|http|8080", "a:9080", "a:9080", ProxyId.waypoint("default", "waypoint")))
                .isFalse();
        assertThat(EnvoyFilterPatcher.virtualHostFits(
                        "inbound|http|80", "*:80", "http.80", ProxyId.gateway("default", "edge")))
                .isFalse();
    }

    @Test
    void routeTablePortsAreReadFromTheirNames() {
        assertThat(EnvoyFilterPatcher.portOf("reviews.default.svc.cluster.local:9080"))
                .contains(9080);
        assertThat(EnvoyFilterPatcher.portOf("http.8080")).contains(8080);
        assertThat(EnvoyFilterPatcher.portOf("odd")).isEmpty();
    }
}
