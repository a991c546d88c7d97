package io.ambientjava.istiod.translate.envoy;

import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.translate;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.waypoint;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.with;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMatchRequest;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMatchRequestBuilder;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchBuilder;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.networking.v1.VirtualServiceBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** VirtualService {@code delegate}: the delegate's routes merged into the root's place, as Istio merges them. */
class VirtualServiceDelegationTest {

    private static final String REVIEWS = "reviews.default.svc.cluster.local";

    private static final String ROOT = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              http:
              - name: api
                match: [{uri: {prefix: /api}, headers: {end-user: {exact: jason}}}]
                timeout: 3s
                headers: {response: {set: {x-root: "yes"}}}
                delegate: {name: reviews-api, namespace: team}
              - route: [{destination: {host: reviews, subset: v1}}]
            """;

    private static final String DELEGATE = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews-api, namespace: team}
            spec:
              http:
              - name: v2
                match: [{uri: {prefix: /api/v2}}]
                route: [{destination: {host: reviews.default.svc.cluster.local, subset: v2}}]
              - name: outside
                match: [{uri: {prefix: /other}}]
                route: [{destination: {host: reviews.default.svc.cluster.local, subset: v3}}]
              - name: rest
                timeout: 1s
                route: [{destination: {host: reviews.default.svc.cluster.local, subset: v3}}]
            """;

    private static List<Route> routes(EnvoyTranslation translation) {
        return waypoint(translation)
                .routes()
                .get(REVIEWS + ":9080")
                .getVirtualHosts(0)
                .getRoutesList();
    }

    @Test
    void theDelegatesRoutesTakeTheRootsPlaceMergedWithItsMatchAndSettings() {
        var translation = translate(with(ROOT, DELEGATE));
        List<Route> routes = routes(translation);

        assertThat(routes).extracting(Route::getName).containsExactly("api-v2", "api-rest", "default/reviews#1");
        // the unnamed route after the delegating one keeps the name of its written place
        Route v2 = routes.get(0);
        assertThat(v2.getMatch().getPrefix()).isEqualTo("/api/v2");
        assertThat(v2.getMatch().getHeadersList())
                .extracting(HeaderMatcher::getName, h -> h.getStringMatch().getExact())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("end-user", "jason"));
        assertThat(v2.getRoute().getCluster()).isEqualTo("outbound|9080|v2|" + REVIEWS);
        assertThat(v2.getRoute().getTimeout().getSeconds()).isEqualTo(3);
        assertThat(v2.getResponseHeadersToAddList())
                .extracting(h -> h.getHeader().getKey(), h -> h.getHeader().getValue())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("x-root", "yes"));
        assertThat(v2.getResponseHeadersToAddList())
                .extracting(HeaderValueOption::getAppendAction)
                .containsExactly(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD);

        Route rest = routes.get(1);
        assertThat(rest.getMatch().getPrefix()).isEqualTo("/api");
        assertThat(rest.getRoute().getCluster()).isEqualTo("outbound|9080|v3|" + REVIEWS);
        assertThat(rest.getRoute().getTimeout().getSeconds()).isEqualTo(1);

        assertThat(routes.get(2).getRoute().getCluster()).isEqualTo("outbound|9080|v1|" + REVIEWS);
        assertThat(translation.warnings())
                .anySatisfy(w -> assertThat(w.message())
                        .contains("http[0].delegate team/reviews-api http[1]")
                        .contains("its root route's match does not"));
    }

    @Test
    void aMissingDelegateLeavesItsRouteOutWithAWarningAndTheOthersStand() {
        var translation = translate(with(ROOT));

        assertThat(routes(translation)).extracting(Route::getName).containsExactly("default/reviews#1");
        assertThat(translation.warnings())
                .anySatisfy(w -> assertThat(w.message())
                        .contains("http[0].delegate names team/reviews-api")
                        .contains("not a VirtualService without hosts"));
    }

    @Test
    void shortHostsInADelegateResolveInTheDelegatesNamespace() {
        var translation = translate(with(
                ROOT.replace("namespace: team", "namespace: default"),
                DELEGATE.replace("namespace: team", "namespace: default")
                        .replace("host: reviews.default.svc.cluster.local, subset: v2", "host: reviews, subset: v2")));

        assertThat(routes(translation).getFirst().getRoute().getCluster()).isEqualTo("outbound|9080|v2|" + REVIEWS);

        var elsewhere = translate(with(
                ROOT,
                DELEGATE.replace("host: reviews.default.svc.cluster.local, subset: v2", "host: reviews, subset: v2")));
        assertThat(routes(elsewhere).getFirst().getRoute().getCluster()).doesNotContain(REVIEWS);
    }

    @Test
    void aDelegateThatDelegatesAgainIsLeftOutOnlyThatRoute() {
        VirtualService root = new VirtualServiceBuilder()
                .withNewMetadata()
                .withName("root")
                .withNamespace("shop")
                .endMetadata()
                .withNewSpec()
                .withHosts("shop")
                .addNewHttp()
                .withNewDelegate()
                .withName("first")
                .endDelegate()
                .endHttp()
                .endSpec()
                .build();
        VirtualService first = new VirtualServiceBuilder()
                .withNewMetadata()
                .withName("first")
                .withNamespace("shop")
                .endMetadata()
                .withNewSpec()
                .addNewHttp()
                .withName("deeper")
                .withNewDelegate()
                .withName("second")
                .endDelegate()
                .endHttp()
                .addNewHttp()
                .withName("cart")
                .addNewRoute()
                .withNewDestination()
                .withHost("cart")
                .endDestination()
                .endRoute()
                .endHttp()
                .endSpec()
                .build();
        List<String> warnings = new java.util.ArrayList<>();

        VirtualService expanded = new VirtualServiceDelegates(List.of(root, first), (host, ns) -> host + "." + ns)
                .expand(root, warnings::add);

        assertThat(expanded.getSpec().getHttp()).extracting(HTTPRoute::getName).containsExactly("cart");
        assertThat(expanded.getSpec()
                        .getHttp()
                        .getFirst()
                        .getRoute()
                        .getFirst()
                        .getDestination()
                        .getHost())
                .isEqualTo("cart.shop");
        assertThat(warnings).singleElement().asString().contains("http[0]").contains("delegates again");
        assertThat(root.getSpec().getHttp().getFirst().getDelegate()).isNotNull(); // the written one is unchanged
    }

    @Test
    void matchConflictsFollowIstiosRules() {
        assertThat(conflict(uri(prefix("/api")), uri(exact("/api/x")))).isFalse();
        assertThat(conflict(uri(prefix("/api")), uri(prefix("/ap")))).isTrue();
        assertThat(conflict(uri(exact("/a")), uri(exact("/a")))).isFalse();
        assertThat(conflict(uri(exact("/a")), uri(exact("/b")))).isTrue();
        assertThat(conflict(uri(exact("/a")), uri(prefix("/a")))).isTrue();
        assertThat(conflict(uri(regex("/a.*")), uri(exact("/a")))).isTrue();
        assertThat(conflict(uri(exact("/a")), uri(regex("/a.*")))).isTrue();
        assertThat(conflict(uri(regex("/a.*")), new HTTPMatchRequest())).isFalse();
        assertThat(conflict(new HTTPMatchRequest(), uri(regex("/a.*")))).isFalse();

        HTTPMatchRequest jason = new HTTPMatchRequestBuilder()
                .withHeaders(Map.of("end-user", exact("jason")))
                .build();
        HTTPMatchRequest bob = new HTTPMatchRequestBuilder()
                .withHeaders(Map.of("end-user", exact("bob")))
                .build();
        assertThat(conflict(jason, bob)).isTrue();
        assertThat(conflict(jason, uri(prefix("/x")))).isFalse();

        assertThat(conflict(
                        new HTTPMatchRequestBuilder().withPort(80L).build(),
                        new HTTPMatchRequestBuilder().withPort(9080L).build()))
                .isTrue();
        assertThat(conflict(
                        new HTTPMatchRequestBuilder().withGateways("a", "b").build(),
                        new HTTPMatchRequestBuilder().withGateways("b").build()))
                .isFalse();
        assertThat(conflict(
                        new HTTPMatchRequestBuilder().withGateways("a").build(),
                        new HTTPMatchRequestBuilder().withGateways("c").build()))
                .isTrue();
        assertThat(conflict(
                        new HTTPMatchRequestBuilder().withIgnoreUriCase(true).build(), new HTTPMatchRequest()))
                .isTrue();
        assertThat(conflict(
                        new HTTPMatchRequestBuilder()
                                .withSourceNamespace("shop")
                                .build(),
                        new HTTPMatchRequestBuilder()
                                .withSourceNamespace("other")
                                .build()))
                .isTrue();
    }

    @Test
    void aDelegateMatchIsMergedWithEveryRootMatchItFits() {
        List<HTTPMatchRequest> merged = VirtualServiceDelegates.mergeMatches(
                List.of(uri(prefix("/api")), uri(prefix("/v1/api"))),
                List.of(new HTTPMatchRequestBuilder()
                        .withUri(prefix("/api/cart"))
                        .withHeaders(Map.of("x-team", exact("a")))
                        .build()));

        assertThat(merged).hasSize(1);
        assertThat(merged.getFirst().getUri()).isEqualTo(prefix("/api/cart"));
        assertThat(merged.getFirst().getHeaders()).containsOnlyKeys("x-team");
        assertThat(VirtualServiceDelegates.mergeMatches(List.of(uri(prefix("/api"))), List.of(uri(prefix("/x")))))
                .isNull();
        assertThat(VirtualServiceDelegates.mergeMatches(List.of(), List.of(uri(prefix("/x")))))
                .containsExactly(uri(prefix("/x")));
    }

    private static boolean conflict(HTTPMatchRequest root, HTTPMatchRequest leaf) {
        return VirtualServiceDelegates.conflicts(root, leaf);
    }

    private static HTTPMatchRequest uri(StringMatch match) {
        return new HTTPMatchRequestBuilder().withUri(match).build();
    }

    private static StringMatch exact(String value) {
        return new StringMatchBuilder().withNewStringMatchExactType(value).build();
    }

    private static StringMatch prefix(String value) {
        return new StringMatchBuilder().withNewStringMatchPrefixType(value).build();
    }

    private static StringMatch regex(String value) {
        return new StringMatchBuilder().withNewStringMatchRegexType(value).build();
    }
}
