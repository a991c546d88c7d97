package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.RateLimits;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.RateLimit;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The local_ratelimit filter on the data path: 429s, headers, per-route buckets, descriptors, counting only. */
class LocalRateLimitTest {

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

    private void listener(LocalRateLimit config) {
        bed.push(RateLimits.beforeRouter(
                Envoy.httpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST), RateLimits.filter(config)));
    }

    private void routes(io.envoyproxy.envoy.config.route.v3.Route... routes) {
        bed.push(Envoy.routes(TestBed.HOST + ":" + TestBed.PORT, List.of(routes)));
    }

    private HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(bed.url(path))).timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return bed.send(request.build());
    }

    @Test
    void overTheLimitTheAnswerIs429WithEnvoysBodyAndHeaders() {
        listener(RateLimits.enforced(RateLimits.bucket(3, 3, 60_000)).build());
        routes(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build());

        List<String> remaining = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> ok = get("/");
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("x-ratelimit-limit")).contains("3");
            remaining.add(ok.headers().firstValue("x-ratelimit-remaining").orElseThrow());
        }
        assertThat(remaining).containsExactly("2", "1", "0");

        HttpResponse<String> limited = get("/");
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.body()).isEqualTo("local_rate_limited");
        assertThat(limited.headers().firstValue("x-local-rate-limit")).contains("true");
        assertThat(limited.headers().firstValue("x-envoy-ratelimited")).contains("true");
        assertThat(limited.headers().firstValue("x-ratelimit-remaining")).contains("0");
        long reset =
                Long.parseLong(limited.headers().firstValue("x-ratelimit-reset").orElseThrow());
        assertThat(reset).isBetween(1L, 60L);
        assertThat(upstream.count.get()).isEqualTo(3);
        await().atMost(Duration.ofSeconds(5)).until(() -> bed.records.size() >= 4);
        assertThat(bed.records.get(3).responseFlags()).isEqualTo("RL");
    }

    @Test
    void aRouteLimitReplacesTheListenersAndHasItsOwnBucket() {
        listener(RateLimits.enforced(RateLimits.bucket(100, 100, 60_000)).build());
        routes(
                Envoy.prefixRoute("/slow", TestBed.DEFAULT_CLUSTER)
                        .setName("slow")
                        .putTypedPerFilterConfig(
                                RateLimits.FILTER,
                                Any.pack(RateLimits.enforced(RateLimits.bucket(1, 1, 60_000))
                                        .build()))
                        .build(),
                Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build());

        assertThat(get("/slow").statusCode()).isEqualTo(200);
        assertThat(get("/slow").statusCode()).isEqualTo(429);
        assertThat(get("/other").statusCode()).isEqualTo(200);
        assertThat(get("/other").headers().firstValue("x-ratelimit-remaining")).contains("98");
    }

    @Test
    void aDescriptorFromTheRoutesRateLimitsPicksItsBucket() {
        listener(LocalRateLimit.newBuilder()
                .setStatPrefix("http_local_rate_limiter")
                .build());
        RouteAction.Builder action = RouteAction.newBuilder()
                .setCluster(TestBed.DEFAULT_CLUSTER)
                .setTimeout(Envoy.seconds(0))
                .addRateLimits(RateLimit.newBuilder()
                        .addActions(RateLimit.Action.newBuilder()
                                .setHeaderValueMatch(RateLimit.Action.HeaderValueMatch.newBuilder()
                                        .setDescriptorKey("path")
                                        .setDescriptorValue("foo")
                                        .addHeaders(HeaderMatcher.newBuilder()
                                                .setName(":path")
                                                .setStringMatch(StringMatcher.newBuilder()
                                                        .setPrefix("/foo"))))))
                .addRateLimits(RateLimit.newBuilder()
                        .addActions(RateLimit.Action.newBuilder()
                                .setRequestHeaders(RateLimit.Action.RequestHeaders.newBuilder()
                                        .setHeaderName("x-user")
                                        .setDescriptorKey("user"))));
        LocalRateLimit perRoute = RateLimits.enforced(RateLimits.bucket(100, 100, 60_000))
                .addDescriptors(RateLimits.descriptor("path", "foo", RateLimits.bucket(2, 2, 60_000)))
                .addDescriptors(RateLimits.descriptor("user", "alice", RateLimits.bucket(1, 1, 60_000)))
                .build();
        routes(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER)
                .setRoute(action)
                .putTypedPerFilterConfig(RateLimits.FILTER, Any.pack(perRoute))
                .build());

        assertThat(get("/foo/1").statusCode()).isEqualTo(200);
        assertThat(get("/foo/2").headers().firstValue("x-ratelimit-limit")).contains("2");
        assertThat(get("/foo/3").statusCode()).isEqualTo(429);
        assertThat(get("/bar").statusCode()).isEqualTo(200); // only the default bucket
        assertThat(get("/bar", "x-user", "alice").statusCode()).isEqualTo(200);
        assertThat(get("/bar", "x-user", "alice").statusCode()).isEqualTo(429);
        assertThat(get("/bar", "x-user", "bob").statusCode()).isEqualTo(200); // no descriptor for bob
    }

    @Test
    void enabledButNotEnforcedOnlyCountsAndMarksTheRequest() {
        listener(RateLimits.enforced(RateLimits.bucket(1, 1, 60_000))
                .setFilterEnforced(RateLimits.percent(0))
                .addRequestHeadersToAddWhenNotEnforced(HeaderValueOption.newBuilder()
                        .setHeader(HeaderValue.newBuilder()
                                .setKey("x-rate-limited")
                                .setValue("yes")))
                .build());
        routes(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build());

        assertThat(get("/").statusCode()).isEqualTo(200);
        assertThat(get("/").statusCode()).isEqualTo(200);
        assertThat(upstream.seen.get(0).headers()).doesNotContainKey("x-rate-limited");
        assertThat(upstream.seen.get(1).headers()).containsEntry("x-rate-limited", "yes");
    }

    @Test
    void notEnabledMeansNoLimitAndNoHeaders() {
        listener(RateLimits.enforced(RateLimits.bucket(1, 1, 60_000))
                .setFilterEnabled(RateLimits.percent(0))
                .build());
        routes(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build());

        for (int i = 0; i < 3; i++) {
            HttpResponse<String> response = get("/");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-ratelimit-limit")).isEmpty();
        }
    }

    @Test
    void clientsOnEveryEventLoopShareOneBucket() throws Exception {
        listener(RateLimits.enforced(RateLimits.bucket(10, 1, 60_000)).build());
        routes(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build());

        // separate clients, separate connections, spread over the waypoint's event loops
        List<java.util.concurrent.Future<Integer>> admitted = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            for (int c = 0; c < 4; c++) {
                admitted.add(pool.submit(() -> {
                    try (java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                            .version(java.net.http.HttpClient.Version.HTTP_1_1)
                            .build()) {
                        int ok = 0;
                        for (int i = 0; i < 10; i++) {
                            HttpResponse<String> response = client.send(
                                    HttpRequest.newBuilder(URI.create(bed.url("/")))
                                            .timeout(Duration.ofSeconds(10))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString());
                            ok += response.statusCode() == 200 ? 1 : 0;
                        }
                        return ok;
                    }
                }));
            }
            int total = 0;
            for (var count : admitted) {
                total += count.get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
            assertThat(total).isEqualTo(10);
        }
    }

    @Test
    void aConfigPushThatKeepsTheLimitKeepsTheSpentTokens() {
        listener(RateLimits.enforced(RateLimits.bucket(1, 1, 60_000)).build());
        routes(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build());
        assertThat(get("/").statusCode()).isEqualTo(200);

        routes(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER)
                .setName("renamed")
                .build());
        assertThat(get("/").statusCode()).isEqualTo(429);

        listener(RateLimits.enforced(RateLimits.bucket(2, 1, 60_000)).build()); // a new limit: a new bucket
        assertThat(get("/").statusCode()).isEqualTo(200);
    }
}
