package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RoutingTest {

    private static final String V1 = "outbound|80|v1|" + TestBed.HOST;
    private static final String V2 = "outbound|80|v2|" + TestBed.HOST;

    private final TestBed bed = new TestBed();
    private final TestUpstream v1 = bed.upstream("v1");
    private final TestUpstream v2 = bed.upstream("v2");

    @AfterEach
    void close() {
        bed.close();
    }

    private void clusters() {
        bed.cluster(Envoy.edsCluster(V1).build(), v1);
        bed.cluster(Envoy.edsCluster(V2).build(), v2);
    }

    private static Route route(RouteMatch.Builder match, String cluster) {
        return Route.newBuilder()
                .setMatch(match)
                .setRoute(RouteAction.newBuilder().setCluster(cluster))
                .build();
    }

    private HttpResponse<String> get(String path, String... headers) {
        var b = HttpRequest.newBuilder(URI.create(bed.url(path))).timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return bed.send(b.build());
    }

    private String upstreamOf(HttpResponse<String> r) {
        return r.headers().firstValue("x-upstream").orElse("none:" + r.statusCode());
    }

    @Test
    void matchersFirstMatchWins() {
        clusters();
        bed.configure(List.of(
                route(RouteMatch.newBuilder().setPath("/exact"), V2),
                route(
                        RouteMatch.newBuilder()
                                .setSafeRegex(RegexMatcher.newBuilder().setRegex("/re/[0-9]+")),
                        V2),
                route(
                        RouteMatch.newBuilder()
                                .setPrefix("/")
                                .addHeaders(HeaderMatcher.newBuilder()
                                        .setName(":method")
                                        .setExactMatch("DELETE")),
                        V2),
                route(
                        RouteMatch.newBuilder()
                                .setPrefix("/")
                                .addHeaders(HeaderMatcher.newBuilder()
                                        .setName("end-user")
                                        .setStringMatch(
                                                StringMatcher.newBuilder().setPrefix("jas"))),
                        V2),
                route(
                        RouteMatch.newBuilder()
                                .setPrefix("/")
                                .addHeaders(HeaderMatcher.newBuilder()
                                        .setName("x-canary")
                                        .setPresentMatch(true)),
                        V2),
                route(
                        RouteMatch.newBuilder()
                                .setPrefix("/q")
                                .addQueryParameters(QueryParameterMatcher.newBuilder()
                                        .setName("beta")
                                        .setStringMatch(
                                                StringMatcher.newBuilder().setExact("yes"))),
                        V2),
                route(
                        RouteMatch.newBuilder()
                                .setPrefix("/")
                                .addHeaders(HeaderMatcher.newBuilder()
                                        .setName(":authority")
                                        .setSafeRegexMatch(
                                                RegexMatcher.newBuilder().setRegex("canary\\..*"))),
                        V2),
                route(RouteMatch.newBuilder().setPrefix("/"), V1)));

        assertThat(upstreamOf(get("/exact"))).isEqualTo("v2");
        assertThat(upstreamOf(get("/exact/more"))).isEqualTo("v1");
        assertThat(upstreamOf(get("/re/42"))).isEqualTo("v2");
        assertThat(upstreamOf(get("/re/x"))).isEqualTo("v1");
        assertThat(upstreamOf(bed.send(HttpRequest.newBuilder(URI.create(bed.url("/d")))
                        .DELETE()
                        .build())))
                .isEqualTo("v2");
        assertThat(upstreamOf(get("/u", "end-user", "jason"))).isEqualTo("v2");
        assertThat(upstreamOf(get("/u", "end-user", "bob"))).isEqualTo("v1");
        assertThat(upstreamOf(get("/c", "x-canary", ""))).isEqualTo("v2");
        assertThat(upstreamOf(get("/q?beta=yes"))).isEqualTo("v2");
        assertThat(upstreamOf(get("/q?beta=no"))).isEqualTo("v1");
        assertThat(upstreamOf(get("/plain"))).isEqualTo("v1");
    }

    @Test
    void weightedClustersSplitWithinThreePoints() {
        clusters();
        bed.configure(List.of(Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder()
                        .setWeightedClusters(WeightedCluster.newBuilder()
                                .addClusters(WeightedCluster.ClusterWeight.newBuilder()
                                        .setName(V1)
                                        .setWeight(Envoy.u32(75)))
                                .addClusters(WeightedCluster.ClusterWeight.newBuilder()
                                        .setName(V2)
                                        .setWeight(Envoy.u32(25)))))
                .build()));
        int n = 2000;
        for (int i = 0; i < n; i++) {
            assertThat(get("/w").statusCode()).isEqualTo(200);
        }
        double v1Share = v1.count.get() * 100.0 / n;
        // 75 % of 2,000 is 1,500 ± 19.4 (one standard deviation, 0.97 %); ±4.5 % is over four of them
        assertThat(v1Share).isBetween(70.5, 79.5);
        assertThat(v1.count.get() + v2.count.get()).isEqualTo(n);
    }

    @Test
    void rewritesAndHeaderManipulation() {
        clusters();
        bed.configure(List.of(Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/api/"))
                .setRoute(RouteAction.newBuilder()
                        .setCluster(V1)
                        .setPrefixRewrite("/v2/")
                        .setHostRewriteLiteral("backend.internal"))
                .addRequestHeadersToAdd(HeaderValueOption.newBuilder()
                        .setHeader(HeaderValue.newBuilder().setKey("x-added").setValue("a"))
                        .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .addRequestHeadersToAdd(HeaderValueOption.newBuilder()
                        .setHeader(HeaderValue.newBuilder().setKey("x-keep").setValue("new"))
                        .setAppendAction(HeaderValueOption.HeaderAppendAction.ADD_IF_ABSENT))
                .addRequestHeadersToRemove("x-secret")
                .addResponseHeadersToAdd(HeaderValueOption.newBuilder()
                        .setHeader(HeaderValue.newBuilder().setKey("x-resp").setValue("r")))
                .addResponseHeadersToRemove("x-seen-host")
                .build()));
        var r = get("/api/items?id=3", "x-secret", "s", "x-keep", "old", "x-added", "client");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).startsWith("v1 GET /v2/items?id=3");
        assertThat(r.headers().firstValue("x-resp")).contains("r");
        assertThat(r.headers().firstValue("x-seen-host")).isEmpty();
        var seen = v1.seen.getLast().headers();
        assertThat(seen).containsEntry("host", "backend.internal");
        assertThat(seen).containsEntry("x-added", "a");
        assertThat(seen).containsEntry("x-keep", "old");
        assertThat(seen).doesNotContainKey("x-secret");
    }

    @Test
    void redirectAndDirectResponse() {
        clusters();
        bed.configure(List.of(
                Route.newBuilder()
                        .setMatch(RouteMatch.newBuilder().setPrefix("/old/"))
                        .setRedirect(RedirectAction.newBuilder()
                                .setPrefixRewrite("/new/")
                                .setHostRedirect("example.test")
                                .setResponseCode(RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT))
                        .build(),
                Route.newBuilder()
                        .setMatch(RouteMatch.newBuilder().setPath("/health"))
                        .setDirectResponse(DirectResponseAction.newBuilder()
                                .setStatus(218)
                                .setBody(DataSource.newBuilder().setInlineString("fine")))
                        .build()));
        var redirect = get("/old/page?a=1");
        assertThat(redirect.statusCode()).isEqualTo(308);
        assertThat(redirect.headers().firstValue("location")).contains("http://example.test/new/page?a=1");
        var direct = get("/health");
        assertThat(direct.statusCode()).isEqualTo(218);
        assertThat(direct.body()).isEqualTo("fine");
        assertThat(v1.count.get() + v2.count.get()).isZero();
    }

    @Test
    void newConfigAppliesWithoutDroppingAnInFlightRequest() throws Exception {
        clusters();
        bed.configure(List.of(route(RouteMatch.newBuilder().setPrefix("/"), V1)));
        var slow = bed.http.sendAsync(
                HttpRequest.newBuilder(URI.create(bed.url("/slow?delay=500"))).build(),
                HttpResponse.BodyHandlers.ofString());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> v1.active.get() == 1);
        bed.configure(List.of(route(RouteMatch.newBuilder().setPrefix("/"), V2)));
        assertThat(upstreamOf(get("/after"))).isEqualTo("v2");
        var slowResponse = slow.get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(slowResponse.statusCode()).isEqualTo(200);
        assertThat(upstreamOf(slowResponse)).isEqualTo("v1");
    }

    @Test
    void regexRewriteReplacesInThePathAndKeepsTheQuery() {
        clusters();
        bed.configure(List.of(Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder()
                        .setCluster(V1)
                        .setRegexRewrite(io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute.newBuilder()
                                .setPattern(RegexMatcher.newBuilder().setRegex("^/service/([^/]+)(/.*)$"))
                                .setSubstitution("\\2/instance/\\1")))
                .build()));
        var r = get("/service/foo/v1/api?x=$1");
        assertThat(r.body()).startsWith("v1 GET /v1/api/instance/foo?x=$1");
    }
}
