package io.ambientjava.istiod.translate.envoy;

import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.translate;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.waypoint;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.with;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The seed examples that concern L7, through the Envoy translation, checked field by field. */
class SeedExamplesEnvoyTest {

    private static final String REVIEWS = "reviews.default.svc.cluster.local";
    private static final String RATINGS = "ratings.default.svc.cluster.local";
    private static final String PRODUCT_API = "product-api.default.svc.cluster.local";

    private static Route onlyRoute(ProxyResources waypoint, String hostname, int port) {
        RouteConfiguration config = waypoint.routes().get(hostname + ":" + port);
        assertThat(config).as("route configuration %s:%d", hostname, port).isNotNull();
        assertThat(config.getVirtualHostsList()).hasSize(1);
        assertThat(config.getVirtualHosts(0).getDomainsList()).containsExactly("*");
        assertThat(config.getVirtualHosts(0).getRoutesList()).hasSize(1);
        return config.getVirtualHosts(0).getRoutes(0);
    }

    private static Duration seconds(long s) {
        return Duration.newBuilder().setSeconds(s).build();
    }

    @Test
    void waypointListensOnEachBoundServiceVipWithHcmOverAdsRds() throws InvalidProtocolBufferException {
        ProxyResources waypoint = waypoint(translate(with()));
        assertThat(waypoint.listeners())
                .containsOnlyKeys(
                        "inbound-vip|9080|http|" + REVIEWS,
                        "inbound-vip|9080|http|" + RATINGS,
                        "inbound-vip|8080|http|" + PRODUCT_API);
        Listener listener = waypoint.listeners().get("inbound-vip|9080|http|" + REVIEWS);
        assertThat(listener.getAddress().getSocketAddress().getAddress()).isEqualTo("198.19.0.20");
        assertThat(listener.getAddress().getSocketAddress().getPortValue()).isEqualTo(9080);
        var filter = listener.getFilterChains(0).getFilters(0);
        assertThat(filter.getName()).isEqualTo("envoy.filters.network.http_connection_manager");
        HttpConnectionManager hcm = filter.getTypedConfig().unpack(HttpConnectionManager.class);
        assertThat(hcm.getRds().getRouteConfigName()).isEqualTo(REVIEWS + ":9080");
        assertThat(hcm.getRds().getConfigSource().hasAds()).isTrue();
        assertThat(hcm.getHttpFiltersList())
                .extracting(HttpFilter::getName)
                .containsExactly("envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");
    }

    @Test
    void withoutVirtualServiceOneCatchAllRouteToTheWholeService() {
        Route route = onlyRoute(waypoint(translate(with())), REVIEWS, 9080);
        assertThat(route.getMatch().getPrefix()).isEqualTo("/");
        assertThat(route.getRoute().getCluster()).isEqualTo("outbound|9080||" + REVIEWS);
        assertThat(route.getRoute().getTimeout()).isEqualTo(Duration.getDefaultInstance());
    }

    @Test
    void example01SplitsReviews75To25BetweenSubsetClusters() {
        var translation = translate(with("01-virtualservice-reviews.yaml"));
        assertThat(translation.warnings()).isEmpty();
        Route route = onlyRoute(waypoint(translation), REVIEWS, 9080);
        assertThat(route.getMatch().getPrefix()).isEqualTo("/");
        assertThat(route.getRoute().getWeightedClusters().getClustersList())
                .extracting(
                        WeightedCluster.ClusterWeight::getName,
                        c -> c.getWeight().getValue())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("outbound|9080|v1|" + REVIEWS, 75),
                        org.assertj.core.groups.Tuple.tuple("outbound|9080|v2|" + REVIEWS, 25));
        assertThat(waypoint(translation).clusters())
                .containsKeys("outbound|9080|v1|" + REVIEWS, "outbound|9080|v2|" + REVIEWS);
    }

    @Test
    void example13SplitsProductApi90To10() {
        Route route = onlyRoute(waypoint(translate(with("13-virtualservice-product-api.yaml"))), PRODUCT_API, 8080);
        assertThat(route.getRoute().getWeightedClusters().getClustersList())
                .extracting(c -> c.getWeight().getValue())
                .containsExactly(90, 10);
    }

    @Test
    void subsetEndpointsAreThePodsWithTheSubsetLabelsAndCarryMeshMetadata() {
        ProxyResources waypoint = waypoint(translate(with("01-virtualservice-reviews.yaml")));
        var v1 = waypoint.endpoints().get("outbound|9080|v1|" + REVIEWS);
        assertThat(v1.getEndpointsList()).hasSize(1);
        var endpoints = v1.getEndpoints(0).getLbEndpointsList();
        assertThat(endpoints).hasSize(1);
        var endpoint = endpoints.getFirst();
        assertThat(endpoint.getEndpoint().getAddress().getSocketAddress().getAddress())
                .isEqualTo("198.18.1.10");
        assertThat(endpoint.getEndpoint().getAddress().getSocketAddress().getPortValue())
                .isEqualTo(8080);
        var istio = endpoint.getMetadata().getFilterMetadataMap().get("istio");
        assertThat(istio.getFieldsMap().get("workload").getStringValue())
                .isEqualTo("reviews-v1;default;reviews;v1;Kubernetes");
        var ambient = endpoint.getMetadata().getFilterMetadataMap().get("ambient");
        assertThat(ambient.getFieldsMap().get("identity").getStringValue())
                .isEqualTo("spiffe://cluster.local/ns/default/sa/reviews");
        assertThat(ambient.getFieldsMap().get("hbone").getBoolValue()).isTrue();
        assertThat(waypoint.endpoints()
                        .get("outbound|9080||" + REVIEWS)
                        .getEndpoints(0)
                        .getLbEndpointsCount())
                .isEqualTo(3);
    }

    @Test
    void example02RoundRobinConnectionPoolAndOutlierDetection() {
        Cluster cluster = waypoint(translate(with("02-destinationrule-reviews.yaml")))
                .clusters()
                .get("outbound|9080||" + REVIEWS);
        assertThat(cluster.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
        assertThat(cluster.getEdsClusterConfig().getEdsConfig().hasAds()).isTrue();
        assertThat(cluster.getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
        var thresholds = cluster.getCircuitBreakers().getThresholds(0);
        assertThat(thresholds.getMaxConnections().getValue()).isEqualTo(100);
        assertThat(thresholds.getMaxPendingRequests().getValue()).isEqualTo(1024);
        assertThat(Integer.toUnsignedLong(thresholds.getMaxRequests().getValue()))
                .isEqualTo(4294967295L);
        assertThat(cluster.getCommonHttpProtocolOptions()
                        .getMaxRequestsPerConnection()
                        .getValue())
                .isEqualTo(10);
        var outlier = cluster.getOutlierDetection();
        assertThat(outlier.getConsecutive5Xx().getValue()).isEqualTo(5);
        assertThat(outlier.getEnforcingConsecutive5Xx().getValue()).isEqualTo(100);
        assertThat(outlier.getInterval()).isEqualTo(seconds(10));
        assertThat(outlier.getBaseEjectionTime()).isEqualTo(seconds(30));
        assertThat(outlier.getEnforcingSuccessRate().getValue()).isZero();
        // The subset clusters inherit the top-level policy.
        assertThat(waypoint(translate(with("02-destinationrule-reviews.yaml")))
                        .clusters()
                        .get("outbound|9080|v2|" + REVIEWS)
                        .getCircuitBreakers()
                        .getThresholds(0)
                        .getMaxConnections()
                        .getValue())
                .isEqualTo(100);
    }

    @Test
    void example07CircuitBreakerOutlierDetectionWithMaxEjectionPercent() {
        var translation = translate(with("07-destinationrule-circuit-breaker.yaml"));
        Cluster cluster = waypoint(translation).clusters().get("outbound|9080||" + REVIEWS);
        var outlier = cluster.getOutlierDetection();
        assertThat(outlier.getConsecutive5Xx().getValue()).isEqualTo(5);
        assertThat(outlier.getInterval()).isEqualTo(seconds(10));
        assertThat(outlier.getBaseEjectionTime()).isEqualTo(seconds(30));
        assertThat(outlier.getMaxEjectionPercent().getValue()).isEqualTo(10);
    }

    @Test
    void twoRulesForOneHostMergeLikeIstioOldestPolicyWins() {
        // "circuit-breaker" sorts before "reviews": without creation times its trafficPolicy is the one kept.
        var translation = translate(with("02-destinationrule-reviews.yaml", "07-destinationrule-circuit-breaker.yaml"));
        Cluster cluster = waypoint(translation).clusters().get("outbound|9080||" + REVIEWS);
        assertThat(cluster.getOutlierDetection().getMaxEjectionPercent().getValue())
                .isEqualTo(10);
        assertThat(translation.warnings())
                .anySatisfy(w -> assertThat(w.toString()).contains("reviews").contains("trafficPolicy is ignored"));
    }

    @Test
    void example08ThreeAttemptsOfTwoSecondsEach() {
        Route route = onlyRoute(waypoint(translate(with("08-virtualservice-reviews.yaml"))), REVIEWS, 9080);
        assertThat(route.getRoute().getCluster()).isEqualTo("outbound|9080|v1|" + REVIEWS);
        var retry = route.getRoute().getRetryPolicy();
        assertThat(retry.getNumRetries().getValue()).isEqualTo(3);
        assertThat(retry.getPerTryTimeout()).isEqualTo(seconds(2));
        assertThat(retry.getRetryOn()).contains("connect-failure").contains("retriable-status-codes");
        assertThat(retry.getRetriableStatusCodesList()).containsExactly(503);
    }

    @Test
    void example09ThreeSecondRouteTimeout() {
        Route route = onlyRoute(waypoint(translate(with("09-virtualservice-reviews.yaml"))), REVIEWS, 9080);
        assertThat(route.getRoute().getTimeout()).isEqualTo(seconds(3));
    }

    @Test
    void example10FiveSecondDelayOnTenPercent() throws InvalidProtocolBufferException {
        Route route = onlyRoute(waypoint(translate(with("10-virtualservice-ratings.yaml"))), RATINGS, 9080);
        HTTPFault fault = route.getTypedPerFilterConfigMap()
                .get("envoy.filters.http.fault")
                .unpack(HTTPFault.class);
        assertThat(fault.getDelay().getFixedDelay()).isEqualTo(seconds(5));
        assertThat(fault.getDelay().getPercentage().getNumerator()).isEqualTo(100_000);
        assertThat(fault.getDelay().getPercentage().getDenominator())
                .isEqualTo(FractionalPercent.DenominatorType.MILLION);
        assertThat(fault.hasAbort()).isFalse();
        assertThat(route.getRoute().getCluster()).isEqualTo("outbound|9080|v1|" + RATINGS);
    }

    @Test
    void example11MirrorsTenPercentToV2WithTheDeprecatedSpelling() {
        Route route = onlyRoute(waypoint(translate(with("11-virtualservice-reviews.yaml"))), REVIEWS, 9080);
        assertThat(route.getRoute().getCluster()).isEqualTo("outbound|9080|v1|" + REVIEWS);
        var mirror = route.getRoute().getRequestMirrorPolicies(0);
        assertThat(mirror.getCluster()).isEqualTo("outbound|9080|v2|" + REVIEWS);
        assertThat(mirror.getRuntimeFraction().getDefaultValue().getNumerator()).isEqualTo(100_000);
        assertThat(mirror.getRuntimeFraction().getDefaultValue().getDenominator())
                .isEqualTo(FractionalPercent.DenominatorType.MILLION);
    }

    @Test
    void mirrorPercentageGivesTheSameConfigAsMirrorPercent() {
        String modern = BookinfoMesh.seed("11-virtualservice-reviews.yaml")
                .replace("mirrorPercent: 10", "mirrorPercentage: {value: 10.0}");
        Route deprecated = onlyRoute(waypoint(translate(with("11-virtualservice-reviews.yaml"))), REVIEWS, 9080);
        Route current = onlyRoute(waypoint(translate(with(modern))), REVIEWS, 9080);
        assertThat(current).isEqualTo(deprecated);
    }

    @Test
    void example03GatewayListensOnPort80ForAnyHost() throws InvalidProtocolBufferException {
        String boundVirtualService = """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: bookinfo, namespace: default}
                spec:
                  hosts: ["*"]
                  gateways: [bookinfo-gateway]
                  http:
                  - match: [{uri: {exact: /productpage}}, {uri: {prefix: /api/v1/products}}]
                    route: [{destination: {host: product-api, port: {number: 8080}}}]
                """;
        var translation = translate(with("03-gateway-bookinfo-gateway.yaml", boundVirtualService));
        ProxyResources gateway = translation.of(ProxyId.gateway("default", "bookinfo-gateway"));
        assertThat(gateway.listeners()).containsOnlyKeys("0.0.0.0_80");
        Listener listener = gateway.listeners().get("0.0.0.0_80");
        assertThat(listener.getAddress().getSocketAddress().getAddress()).isEqualTo("0.0.0.0");
        assertThat(listener.getAddress().getSocketAddress().getPortValue()).isEqualTo(80);
        HttpConnectionManager hcm =
                listener.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
        assertThat(hcm.getRds().getRouteConfigName()).isEqualTo("http.80");
        RouteConfiguration routes = gateway.routes().get("http.80");
        assertThat(routes.getVirtualHostsList()).hasSize(1);
        assertThat(routes.getVirtualHosts(0).getDomainsList()).containsExactly("*");
        assertThat(routes.getVirtualHosts(0).getRoutesList())
                .extracting(r -> r.getMatch().getPath() + r.getMatch().getPrefix())
                .containsExactly("/productpage", "/api/v1/products");
        assertThat(routes.getVirtualHosts(0).getRoutes(0).getRoute().getCluster())
                .isEqualTo("outbound|8080||" + PRODUCT_API);
        assertThat(gateway.clusters()).containsKey("outbound|8080||" + PRODUCT_API);
        assertThat(gateway.endpoints()
                        .get("outbound|8080||" + PRODUCT_API)
                        .getEndpoints(0)
                        .getLbEndpointsCount())
                .isEqualTo(3);
        // The gateway-bound VirtualService is not a mesh route: the waypoint keeps its default route.
        assertThat(onlyRoute(waypoint(translation), PRODUCT_API, 8080).getName())
                .isEqualTo("default");
    }

    @Test
    void example03WithoutBoundVirtualServicesHasAnEmptyRouteTable() {
        ProxyResources gateway =
                translate(with("03-gateway-bookinfo-gateway.yaml")).of(ProxyId.gateway("default", "bookinfo-gateway"));
        assertThat(gateway.routes().get("http.80").getVirtualHostsList()).isEmpty();
    }

    @Test
    void aWaypointGetsOnlyTheServicesBoundToIt() {
        String otherNamespace = """
                apiVersion: v1
                kind: Namespace
                metadata: {name: other, labels: {istio.io/dataplane-mode: ambient}}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: orders, namespace: other}
                spec: {clusterIP: 198.19.0.30, selector: {app: orders}, ports: [{name: http, port: 80}]}
                """;
        ProxyResources waypoint = waypoint(translate(with(otherNamespace)));
        assertThat(waypoint.listeners().keySet()).noneMatch(name -> name.contains("orders"));
        assertThat(waypoint.clusters().keySet()).noneMatch(name -> name.contains("orders"));
        assertThat(List.copyOf(waypoint.listeners().keySet())).hasSize(3);
    }
}
