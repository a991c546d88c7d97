package io.ambientjava.istiod.translate.envoy;

import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.translate;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.waypoint;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.with;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Gateway API GRPCRoute: at an ingress Gateway's listener and attached to a Service at its waypoint. */
class GrpcRoutesTest {

    private static final String GATEWAY = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: public, namespace: default}
            spec:
              gatewayClassName: istio
              listeners: [{name: grpc, port: 8080, protocol: HTTP}]
            """;

    private static final String ROUTE = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: shop, namespace: default}
            spec:
              parentRefs: [{name: public}]
              hostnames: [grpc.example.com]
              rules:
              - matches: [{method: {service: shop.Cart}}]
                filters:
                - type: RequestHeaderModifier
                  requestHeaderModifier: {add: [{name: x-route, value: cart}]}
                - type: ResponseHeaderModifier
                  responseHeaderModifier: {remove: [x-internal]}
                backendRefs:
                - {name: reviews, port: 9080, weight: 3}
                - {name: ratings, port: 9080, weight: 1}
              - matches: [{method: {service: shop.Cart, method: Checkout}, headers: [{name: X-Tier, value: gold}]}]
                backendRefs: [{name: ratings, port: 9080}]
              - matches: [{method: {method: Health}}]
                backendRefs: [{name: product-api, port: 8080}]
              - matches: [{method: {type: RegularExpression, service: "shop\\\\.v[0-9]+\\\\.Orders"}}]
                filters:
                - type: RequestMirror
                  requestMirror: {backendRef: {name: ratings, port: 9080}}
                backendRefs: [{name: reviews, port: 9080}]
            """;

    private static List<Route> gatewayRoutes(String... docs) {
        var translation = translate(with(docs));
        return translation
                .of(ProxyId.gateway("default", "public"))
                .routes()
                .get("http.8080")
                .getVirtualHosts(0)
                .getRoutesList();
    }

    private static boolean matches(RouteMatch match, String path) {
        if (match.hasSafeRegex()) {
            return Pattern.matches(match.getSafeRegex().getRegex(), path);
        }
        return match.getPath().isEmpty() ? path.startsWith(match.getPrefix()) : path.equals(match.getPath());
    }

    /** The first route (in order) whose path match takes {@code path}, ignoring header conditions. */
    private static Route firstFor(List<Route> routes, String path) {
        return routes.stream()
                .filter(r -> matches(r.getMatch(), path) && r.getMatch().getHeadersCount() == 0)
                .findFirst()
                .orElseThrow();
    }

    @Test
    void aGatewayListenerRoutesGrpcCallsByServiceMethodAndHeader() {
        List<Route> routes = gatewayRoutes(GATEWAY, ROUTE);
        // service and method (exact path) first, then the service prefix, then the regular expressions
        assertThat(routes.get(0).getMatch().getPath()).isEqualTo("/shop.Cart/Checkout");
        assertThat(routes.get(0).getMatch().getHeaders(0).getName()).isEqualTo("x-tier");
        assertThat(routes.get(0).getMatch().getHeaders(0).getStringMatch().getExact())
                .isEqualTo("gold");
        assertThat(routes.get(0).getRoute().getCluster()).isEqualTo("outbound|9080||ratings.default.svc.cluster.local");
        Route cart = routes.get(1);
        assertThat(cart.getMatch().getPrefix()).isEqualTo("/shop.Cart/");
        assertThat(cart.getRoute().getWeightedClusters().getClustersList())
                .extracting(
                        WeightedCluster.ClusterWeight::getName,
                        c -> c.getWeight().getValue())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("outbound|9080||reviews.default.svc.cluster.local", 3),
                        org.assertj.core.groups.Tuple.tuple("outbound|9080||ratings.default.svc.cluster.local", 1));
        assertThat(cart.getRequestHeadersToAdd(0).getHeader().getKey()).isEqualTo("x-route");
        assertThat(cart.getResponseHeadersToRemoveList()).containsExactly("x-internal");

        assertThat(firstFor(routes, "/shop.Cart/Checkout").getName()).isEqualTo("default/shop#0");
        assertThat(firstFor(routes, "/shop.Cart/Add").getName()).isEqualTo("default/shop#0");
        assertThat(firstFor(routes, "/grpc.health.v1.Health/Health").getName()).isEqualTo("default/shop#2");
        assertThat(routes.stream().noneMatch(r -> matches(r.getMatch(), "/grpc.health.v1.Health/Healthy")))
                .isTrue();
        Route orders = firstFor(routes, "/shop.v2.Orders/List");
        assertThat(orders.getName()).isEqualTo("default/shop#3");
        assertThat(orders.getRoute().getRequestMirrorPolicies(0).getCluster())
                .isEqualTo("outbound|9080||ratings.default.svc.cluster.local");
        assertThat(routes.stream().noneMatch(r -> matches(r.getMatch(), "/shopxv2.Orders/List")))
                .isTrue();
    }

    @Test
    void grpcAndHttpRoutesOnOneHostShareTheGatewayApiPrecedence() {
        String http = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: web, namespace: default}
                spec:
                  parentRefs: [{name: public}]
                  hostnames: [grpc.example.com]
                  rules: [{backendRefs: [{name: product-api, port: 8080}]}]
                """;
        List<Route> routes = gatewayRoutes(GATEWAY, http, ROUTE);
        // a rule without matches comes after every rule with one, regular expressions too, as in Istio
        assertThat(routes.getLast().getName()).isEqualTo("default/web#0");
        assertThat(firstFor(routes, "/shop.Cart/Add").getName()).isEqualTo("default/shop#0");
        assertThat(firstFor(routes, "/index.html").getName()).isEqualTo("default/web#0");
    }

    @Test
    void aGrpcRouteAttachedToAServiceReplacesItsWaypointRoutes() {
        String gamma = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata: {name: reviews-grpc, namespace: default}
                spec:
                  parentRefs: [{group: "", kind: Service, name: reviews, port: 9080}]
                  rules:
                  - matches: [{method: {service: reviews.Reviews, method: Get}}]
                    backendRefs: [{name: ratings, port: 9080}]
                  - backendRefs: [{name: reviews, port: 9080}]
                """;
        var translation = translate(with(gamma, "09-virtualservice-reviews.yaml"));
        List<Route> routes = waypoint(translation)
                .routes()
                .get("reviews.default.svc.cluster.local:9080")
                .getVirtualHosts(0)
                .getRoutesList();
        assertThat(routes)
                .extracting(Route::getName)
                .containsExactly("default/reviews-grpc#0", "default/reviews-grpc#1");
        assertThat(routes.get(0).getMatch().getPath()).isEqualTo("/reviews.Reviews/Get");
        assertThat(routes.get(0).getRoute().getCluster()).isEqualTo("outbound|9080||ratings.default.svc.cluster.local");
        assertThat(routes.get(1).getMatch().getPrefix()).isEqualTo("/");
        assertThat(translation.warnings())
                .anySatisfy(w -> assertThat(w.toString())
                        .contains("VirtualService default/reviews")
                        .contains("precedence"));
    }

    @Test
    void aMatchTheGatewayApiDoesNotAllowLeavesItsRuleOutWithAWarning() {
        String bad = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata: {name: bad, namespace: default}
                spec:
                  parentRefs: [{name: public}]
                  rules:
                  - matches: [{method: {type: Exact}}]
                    backendRefs: [{name: reviews, port: 9080}]
                  - matches: [{method: {service: "shop/Cart", method: Get}}]
                    backendRefs: [{name: reviews, port: 9080}]
                  - matches: [{method: {type: Prefix, service: shop}}]
                    backendRefs: [{name: reviews, port: 9080}]
                  - matches: [{method: {service: shop.Cart}, headers: [{name: x-a, type: Prefix, value: b}]}]
                    backendRefs: [{name: reviews, port: 9080}]
                  - matches: [{method: {service: shop.Good}}]
                    filters: [{type: ExtensionRef, extensionRef: {group: example.com, kind: Filter, name: f}}]
                    backendRefs:
                    - name: reviews
                      port: 9080
                      filters: [{type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: a, value: b}]}}]
                """;
        var translation = translate(with(GATEWAY, bad));
        List<Route> routes = translation
                .of(ProxyId.gateway("default", "public"))
                .routes()
                .get("http.8080")
                .getVirtualHosts(0)
                .getRoutesList();
        assertThat(routes).extracting(Route::getName).containsExactly("default/bad#4");
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .anySatisfy(w -> assertThat(w)
                        .contains("GRPCRoute default/bad")
                        .contains("rule 0")
                        .contains("names a service, a method or both"))
                .anySatisfy(w -> assertThat(w).contains("rule 1").contains("contains '/'"))
                .anySatisfy(w -> assertThat(w).contains("rule 2").contains("'Prefix'"))
                .anySatisfy(w -> assertThat(w).contains("rule 3").contains("header match type 'Prefix'"))
                .anySatisfy(w -> assertThat(w).contains("'ExtensionRef' is not supported"))
                .noneMatch(w -> w.contains("backendRef 'reviews'"));
        // a backend's own header modifier applies (one backend: on the route)
        assertThat(routes.getFirst().getRequestHeadersToAddList())
                .extracting(h -> h.getHeader().getKey())
                .containsExactly("a");
    }

    @Test
    void aListenerWhoseAllowedKindsLeaveOutGrpcRouteDoesNotAttachOne() {
        String httpOnly =
                GATEWAY.replace("protocol: HTTP}", "protocol: HTTP, allowedRoutes: {kinds: [{kind: HTTPRoute}]}}");
        var translation = translate(with(httpOnly, ROUTE));
        assertThat(translation
                        .of(ProxyId.gateway("default", "public"))
                        .routes()
                        .get("http.8080")
                        .getVirtualHostsList())
                .isEmpty();
        assertThat(translation.warnings())
                .anySatisfy(w -> assertThat(w.toString())
                        .contains("GRPCRoute default/shop")
                        .contains("does not allow GRPCRoute"));
    }

    @Test
    void aBackendInAnotherNamespaceNeedsAReferenceGrantForGrpcRoutes() {
        String elsewhere =
                ROUTE.replace("{name: product-api, port: 8080}", "{name: shop, namespace: store, port: 8080}");
        var translation = translate(with(GATEWAY, elsewhere));
        assertThat(translation.warnings())
                .anySatisfy(w -> assertThat(w.toString())
                        .contains("GRPCRoute default/shop")
                        .contains("ReferenceGrant"));
    }
}
