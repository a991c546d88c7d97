package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import io.ambientjava.waypoint.testsupport.Cors;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.LocalCommands;
import io.ambientjava.waypoint.testsupport.RateLimits;
import io.ambientjava.waypoint.testsupport.Rbac;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The CORS filter on the data path: preflights answered here, allowed origins told so on responses. */
class CorsTest {

    private static final String APP = "https://app.example.com";
    private static final String OTHER = "https://evil.example.net";

    private final TestBed bed = new TestBed();
    private final TestUpstream upstream = bed.upstream("v1");

    @BeforeEach
    void cluster() {
        bed.cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build(), upstream);
    }

    @AfterEach
    void close() {
        bed.close();
    }

    private void withCorsFilter(CorsPolicy policy) {
        bed.push(RateLimits.beforeRouter(Envoy.httpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST), Cors.filter()));
        routes(policy);
    }

    /** {@code /api} carries the policy; every other path has none. */
    private void routes(CorsPolicy policy) {
        bed.push(Envoy.routes(
                TestBed.HOST + ":" + TestBed.PORT,
                List.of(
                        Envoy.prefixRoute("/api", TestBed.DEFAULT_CLUSTER)
                                .setName("api")
                                .putTypedPerFilterConfig(Cors.FILTER, Any.pack(policy))
                                .build(),
                        Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build())));
    }

    private HttpResponse<String> send(String method, String path, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(bed.url(path)))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return bed.send(request.build());
    }

    private HttpResponse<String> preflight(String path, String origin) {
        return send(
                "OPTIONS",
                path,
                "Origin",
                origin,
                "Access-Control-Request-Method",
                "PUT",
                "Access-Control-Request-Headers",
                "content-type");
    }

    private static List<String> corsHeaderNames(HttpResponse<?> response) {
        return response.headers().map().keySet().stream()
                .filter(name -> name.startsWith("access-control-"))
                .toList();
    }

    /** {@code /api} with the policy and an injected fault, which the fault filter (before cors) applies first. */
    private void withFault(HTTPFault fault) {
        bed.push(RateLimits.beforeRouter(Envoy.httpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST), Cors.filter()));
        bed.push(Envoy.routes(
                TestBed.HOST + ":" + TestBed.PORT,
                List.of(Envoy.prefixRoute("/api", TestBed.DEFAULT_CLUSTER)
                        .setName("api")
                        .putTypedPerFilterConfig(
                                Cors.FILTER, Any.pack(Cors.policy().build()))
                        .putTypedPerFilterConfig("envoy.filters.http.fault", Any.pack(fault))
                        .build())));
    }

    private static FractionalPercent always() {
        return FractionalPercent.newBuilder()
                .setNumerator(100)
                .setDenominator(FractionalPercent.DenominatorType.HUNDRED)
                .build();
    }

    @Test
    void anInjectedAbortComesBeforeCorsAsTheFiltersAreOrdered() {
        withFault(HTTPFault.newBuilder()
                .setAbort(FaultAbort.newBuilder().setHttpStatus(503).setPercentage(always()))
                .build());

        HttpResponse<String> response = preflight("/api/items", APP);

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(corsHeaderNames(response)).isEmpty();
        assertThat(upstream.count.get()).isZero();
    }

    @Test
    void anInjectedDelayHoldsThePreflightThenCorsAnswersIt() {
        withFault(HTTPFault.newBuilder()
                .setDelay(
                        FaultDelay.newBuilder().setFixedDelay(Envoy.millis(300)).setPercentage(always()))
                .build());

        long start = System.nanoTime();
        HttpResponse<String> response = preflight("/api/items", APP);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("access-control-allow-origin")).contains(APP);
        assertThat(upstream.count.get()).isZero();
    }

    @Test
    void aPreflightFromAnAllowedOriginIsAnsweredHereAndNeverReachesTheUpstream() {
        withCorsFilter(Cors.policy().build());

        HttpResponse<String> response = preflight("/api/items", APP);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
        assertThat(response.headers().firstValue("access-control-allow-origin")).contains(APP);
        assertThat(response.headers().firstValue("access-control-allow-credentials"))
                .contains("true");
        assertThat(response.headers().firstValue("access-control-allow-methods"))
                .contains("GET,PUT");
        assertThat(response.headers().firstValue("access-control-allow-headers"))
                .contains("content-type,x-custom");
        assertThat(response.headers().firstValue("access-control-max-age")).contains("86400");
        assertThat(response.headers().firstValue("access-control-expose-headers"))
                .isEmpty();
        assertThat(upstream.count.get()).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> bed.records.size() == 1);
        assertThat(bed.records.getFirst().status()).isEqualTo(200);
        assertThat(bed.records.getFirst().routeName()).isEqualTo("api");
    }

    @Test
    void emptyListsAndNoCredentialsLeaveTheirHeadersOut() {
        withCorsFilter(CorsPolicy.newBuilder()
                .addAllowOriginStringMatch(io.envoyproxy.envoy.type.matcher.v3.StringMatcher.newBuilder()
                        .setPrefix("HTTPS://APP.")
                        .setIgnoreCase(true))
                .build());

        HttpResponse<String> response = preflight("/api", APP);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(corsHeaderNames(response)).containsExactly("access-control-allow-origin");
        assertThat(upstream.count.get()).isZero();
    }

    @Test
    void aRequestFromAnAllowedOriginReachesTheUpstreamAndItsResponseSaysWhoMayReadIt() {
        withCorsFilter(Cors.policy().build());

        HttpResponse<String> response = send("GET", "/api/items", "Origin", APP);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("access-control-allow-origin")).contains(APP);
        assertThat(response.headers().firstValue("access-control-allow-credentials"))
                .contains("true");
        assertThat(response.headers().firstValue("access-control-expose-headers"))
                .contains("x-trace");
        assertThat(response.headers().firstValue("access-control-allow-methods"))
                .isEmpty();
        assertThat(upstream.count.get()).isEqualTo(1);
        assertThat(upstream.seen.getFirst().headers()).containsEntry("origin", APP);
    }

    @Test
    void anotherOriginGetsNoCorsHeadersAndItsPreflightGoesUpstream() {
        withCorsFilter(Cors.policy().build());

        HttpResponse<String> get = send("GET", "/api/items", "Origin", OTHER);
        HttpResponse<String> preflight = preflight("/api/items", OTHER);

        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(corsHeaderNames(get)).isEmpty();
        assertThat(preflight.statusCode()).isEqualTo(200);
        assertThat(corsHeaderNames(preflight)).isEmpty();
        assertThat(upstream.count.get()).isEqualTo(2);
        assertThat(upstream.seen.get(1).method()).isEqualTo("OPTIONS");
    }

    @Test
    void withoutForwardingAPreflightFromAnotherOriginIsAnswered200WithoutCorsHeaders() {
        withCorsFilter(
                Cors.policy().setForwardNotMatchingPreflights(Envoy.bool(false)).build());

        HttpResponse<String> response = preflight("/api/items", OTHER);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(corsHeaderNames(response)).isEmpty();
        assertThat(upstream.count.get()).isZero();
    }

    @Test
    void aRouteWithoutPolicyIsUnaffected() {
        withCorsFilter(Cors.policy().build());

        HttpResponse<String> get = send("GET", "/other", "Origin", APP);
        HttpResponse<String> preflight = preflight("/other", APP);

        assertThat(corsHeaderNames(get)).isEmpty();
        assertThat(corsHeaderNames(preflight)).isEmpty();
        assertThat(upstream.count.get()).isEqualTo(2);
    }

    @Test
    void aRequestWithoutOriginIsUnaffected() {
        withCorsFilter(Cors.policy().build());

        HttpResponse<String> options = send("OPTIONS", "/api", "Access-Control-Request-Method", "PUT");

        assertThat(corsHeaderNames(options)).isEmpty();
        assertThat(upstream.count.get()).isEqualTo(1);
    }

    @Test
    void filterEnabledZeroPercentTurnsThePolicyOff() {
        withCorsFilter(Cors.policy().setFilterEnabled(Cors.enabled(0)).build());

        HttpResponse<String> get = send("GET", "/api", "Origin", APP);
        HttpResponse<String> preflight = preflight("/api", APP);

        assertThat(corsHeaderNames(get)).isEmpty();
        assertThat(corsHeaderNames(preflight)).isEmpty();
        assertThat(upstream.count.get()).isEqualTo(2);
    }

    @Test
    void withoutTheFilterInTheListenerARoutesPolicyDoesNothing() {
        bed.push(Envoy.httpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST));
        routes(Cors.policy().build());

        HttpResponse<String> preflight = preflight("/api", APP);

        assertThat(corsHeaderNames(preflight)).isEmpty();
        assertThat(upstream.count.get()).isEqualTo(1);
    }

    @Test
    void placedBeforeRbacTheFilterAnswersPreflightsRbacWouldDeny() {
        Listener listener = Rbac.withFilters(
                Envoy.httpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST),
                Cors.filter(),
                Rbac.filter(RBAC.Action.DENY, Rbac.policy(Rbac.anyPermission(), Rbac.anyPrincipal())));
        bed.push(listener);
        routes(Cors.policy().build());

        HttpResponse<String> preflight = preflight("/api", APP);
        HttpResponse<String> get = send("GET", "/api", "Origin", APP);

        assertThat(preflight.statusCode()).isEqualTo(200);
        assertThat(preflight.headers().firstValue("access-control-allow-origin"))
                .contains(APP);
        assertThat(get.statusCode()).isEqualTo(403);
        // the denial, a local reply after the CORS filter, still tells the browser it may read it
        assertThat(get.headers().firstValue("access-control-allow-origin")).contains(APP);
        assertThat(upstream.count.get()).isZero();
    }

    @Test
    void curlsPreflightGetsTheAnswer() throws Exception {
        withCorsFilter(Cors.policy().build());

        String out = LocalCommands.curlLoopback(
                bed.listener.port(),
                "/api/items",
                "-i",
                "-X",
                "OPTIONS",
                "-H",
                "Origin: " + APP,
                "-H",
                "Access-Control-Request-Method: PUT");

        assertThat(out.lines().findFirst())
                .hasValueSatisfying(status -> assertThat(status).startsWith("HTTP/1.1 200"));
        assertThat(out.toLowerCase())
                .contains("access-control-allow-origin: " + APP)
                .contains("access-control-allow-credentials: true")
                .contains("access-control-allow-methods: get,put")
                .contains("access-control-allow-headers: content-type,x-custom")
                .contains("access-control-max-age: 86400")
                .contains("content-length: 0");
        assertThat(upstream.count.get()).isZero();
    }
}
