package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CircuitBreakingTest {

    private final TestBed bed = new TestBed();
    private final TestUpstream a = bed.upstream("a");
    private final TestUpstream b = bed.upstream("b");

    @AfterEach
    void close() {
        bed.close();
    }

    private void setUp(Cluster cluster, RouteAction.Builder action, TestUpstream... upstreams) {
        bed.configure(List.of(Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(action.setCluster(TestBed.DEFAULT_CLUSTER))
                .build()));
        bed.cluster(cluster, upstreams);
    }

    private List<HttpResponse<String>> concurrently(int n, String path) throws Exception {
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(bed.http.sendAsync(
                    HttpRequest.newBuilder(URI.create(bed.url(path))).build(), HttpResponse.BodyHandlers.ofString()));
        }
        List<HttpResponse<String>> out = new ArrayList<>();
        for (var f : all) {
            out.add(f.get());
        }
        return out;
    }

    private static Cluster.Builder limited(CircuitBreakers.Thresholds.Builder t) {
        return Envoy.edsCluster(TestBed.DEFAULT_CLUSTER)
                .setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(t));
    }

    @Test
    void connectionsAndPendingRequestsOverflowWith503() throws Exception {
        setUp(
                limited(CircuitBreakers.Thresholds.newBuilder()
                                .setMaxConnections(Envoy.u32(1))
                                .setMaxPendingRequests(Envoy.u32(1)))
                        .build(),
                RouteAction.newBuilder(),
                a);
        var responses = concurrently(8, "/slow?delay=1500");
        long ok = responses.stream().filter(r -> r.statusCode() == 200).count();
        long overflowed = responses.stream()
                .filter(r -> r.statusCode() == 503
                        && r.headers().firstValue("x-envoy-overloaded").isPresent())
                .count();
        assertThat(ok).isEqualTo(2);
        assertThat(overflowed).isEqualTo(6);
        // One connection at a time; the pending request may get a fresh one (from another event loop's pool).
        assertThat(a.connections.get()).isBetween(1, 2);
        assertThat(bed.records.stream().filter(r -> r.responseFlags().equals("UO")))
                .hasSize(6);
    }

    @Test
    void maxRequestsOverflowAtOnce() throws Exception {
        setUp(
                limited(CircuitBreakers.Thresholds.newBuilder().setMaxRequests(Envoy.u32(3)))
                        .build(),
                RouteAction.newBuilder(),
                a);
        var responses = concurrently(8, "/slow?delay=1500");
        assertThat(responses.stream().filter(r -> r.statusCode() == 200)).hasSize(3);
        assertThat(responses.stream().filter(r -> r.statusCode() == 503)).hasSize(5);
    }

    @Test
    void maxRequestsPerConnectionRecyclesConnections() {
        setUp(
                Envoy.edsCluster(TestBed.DEFAULT_CLUSTER)
                        .setCommonHttpProtocolOptions(
                                HttpProtocolOptions.newBuilder().setMaxRequestsPerConnection(Envoy.u32(2)))
                        .build(),
                RouteAction.newBuilder(),
                a);
        for (int i = 0; i < 6; i++) {
            assertThat(bed.get("/r").statusCode()).isEqualTo(200);
        }
        assertThat(a.connections.get()).isEqualTo(3);
    }

    @Test
    void maxRetriesZeroDisablesRetries() {
        setUp(
                limited(CircuitBreakers.Thresholds.newBuilder().setMaxRetries(Envoy.u32(0)))
                        .build(),
                RouteAction.newBuilder()
                        .setRetryPolicy(
                                RetryPolicy.newBuilder().setRetryOn("5xx").setNumRetries(Envoy.u32(3))),
                a);
        assertThat(bed.get("/x?status=503").statusCode()).isEqualTo(503);
        assertThat(a.count.get()).isEqualTo(1);
        assertThat(bed.records.getLast().responseFlags()).isEqualTo("URX");
    }

    @Test
    void maxRetriesBoundsConcurrentRetriesOfFailedAnswers() throws Exception {
        // A retry stays counted until its try ends: before, a 5xx retry gave its place back as it was granted.
        setUp(
                limited(CircuitBreakers.Thresholds.newBuilder().setMaxRetries(Envoy.u32(1)))
                        .build(),
                RouteAction.newBuilder()
                        .setRetryPolicy(
                                RetryPolicy.newBuilder().setRetryOn("5xx").setNumRetries(Envoy.u32(3))),
                a);
        var responses = concurrently(6, "/x?status=503&delay=400");
        assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(503));
        assertThat(a.count.get()).isBetween(7, 9);
    }

    @Test
    void retryBudgetBoundsConcurrentRetries() throws Exception {
        // 0 % of active requests, at least 1: one retry in flight at a time, however many requests fail at once.
        setUp(
                limited(CircuitBreakers.Thresholds.newBuilder()
                                .setMaxRetries(Envoy.u32(1000))
                                .setRetryBudget(CircuitBreakers.Thresholds.RetryBudget.newBuilder()
                                        .setBudgetPercent(io.envoyproxy.envoy.type.v3.Percent.newBuilder()
                                                .setValue(0))
                                        .setMinRetryConcurrency(Envoy.u32(1))))
                        .build(),
                RouteAction.newBuilder()
                        .setRetryPolicy(
                                RetryPolicy.newBuilder().setRetryOn("5xx").setNumRetries(Envoy.u32(3))),
                a);
        var responses = concurrently(6, "/x?status=503&delay=400");
        assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(503));
        // Six first tries fail together: one request wins the retry and uses its 3; max_retries alone would allow 24.
        assertThat(a.count.get()).isBetween(7, 9);
        assertThat(bed.records.stream().filter(r -> r.responseFlags().equals("URX")))
                .hasSizeGreaterThanOrEqualTo(5);
    }

    private static Cluster outlier(int percent, long baseMillis) {
        return Envoy.edsCluster(TestBed.DEFAULT_CLUSTER)
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
                .setOutlierDetection(OutlierDetection.newBuilder()
                        .setConsecutive5Xx(Envoy.u32(3))
                        .setInterval(Envoy.millis(100))
                        .setBaseEjectionTime(Envoy.millis(baseMillis))
                        .setMaxEjectionPercent(Envoy.u32(percent)))
                .build();
    }

    @Test
    void consecutive5xxEjectsAHostForAGrowingTime() throws Exception {
        setUp(outlier(50, 1000), RouteAction.newBuilder(), a, b);
        a.alwaysAnswer(503);
        for (int i = 0; i < 20; i++) {
            bed.get("/o");
        }
        assertThat(a.count.get()).isEqualTo(3);
        Thread.sleep(1100); // first ejection: 1 × base
        for (int i = 0; i < 20; i++) {
            bed.get("/o");
        }
        assertThat(a.count.get()).isEqualTo(6); // back, failed 3 more times, ejected again
        Thread.sleep(1100); // second ejection lasts 2 × base: still out
        for (int i = 0; i < 10; i++) {
            bed.get("/o");
        }
        assertThat(a.count.get()).isEqualTo(6);
        assertThat(b.count.get()).isEqualTo(44);
    }

    @Test
    void maxEjectionPercentKeepsHostsInService() {
        setUp(outlier(50, 10_000), RouteAction.newBuilder(), a, b);
        a.alwaysAnswer(503);
        b.alwaysAnswer(503);
        for (int i = 0; i < 30; i++) {
            bed.get("/o");
        }
        // One of the two may be ejected (50%); the other keeps taking traffic.
        assertThat(Math.min(a.count.get(), b.count.get())).isEqualTo(3);
        assertThat(Math.max(a.count.get(), b.count.get())).isEqualTo(27);
    }

    @Test
    void idleUpstreamConnectionsCloseAfterTheIdleTimeout() throws Exception {
        setUp(
                Envoy.edsCluster(TestBed.DEFAULT_CLUSTER)
                        .setCommonHttpProtocolOptions(
                                HttpProtocolOptions.newBuilder().setIdleTimeout(Envoy.millis(200)))
                        .build(),
                RouteAction.newBuilder(),
                a);
        assertThat(bed.get("/1").statusCode()).isEqualTo(200);
        assertThat(bed.get("/2").statusCode()).isEqualTo(200);
        assertThat(a.connections.get()).isEqualTo(1);
        Thread.sleep(800);
        assertThat(bed.get("/3").statusCode()).isEqualTo(200);
        assertThat(a.connections.get()).isEqualTo(2);
    }

    @Test
    void idleHttp2UpstreamConnectionsCloseToo() throws Exception {
        setUp(
                Envoy.edsCluster(TestBed.DEFAULT_CLUSTER)
                        .setHttp2ProtocolOptions(
                                io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions.getDefaultInstance())
                        .setCommonHttpProtocolOptions(
                                HttpProtocolOptions.newBuilder().setIdleTimeout(Envoy.millis(200)))
                        .build(),
                RouteAction.newBuilder(),
                a);
        assertThat(bed.get("/1").statusCode()).isEqualTo(200);
        assertThat(bed.get("/2").statusCode()).isEqualTo(200);
        assertThat(a.connections.get()).isEqualTo(1);
        assertThat(a.seen).extracting(TestUpstream.Seen::protocol).containsOnly("HTTP/2");
        Thread.sleep(800);
        assertThat(bed.get("/3").statusCode()).isEqualTo(200);
        assertThat(a.connections.get()).isEqualTo(2);
    }

    private static Cluster http2Cluster(int maxConcurrentStreams) {
        return Envoy.edsCluster(TestBed.DEFAULT_CLUSTER)
                .setHttp2ProtocolOptions(io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions.newBuilder()
                        .setMaxConcurrentStreams(Envoy.u32(maxConcurrentStreams)))
                .build();
    }

    @Test
    void http2MaxConcurrentStreamsOpensAnotherConnectionPastTheLimit() throws Exception {
        setUp(http2Cluster(2), RouteAction.newBuilder(), a);
        var responses = concurrently(6, "/slow?delay=800");
        assertThat(responses).extracting(HttpResponse::statusCode).containsOnly(200);
        assertThat(a.seen).extracting(TestUpstream.Seen::protocol).containsOnly("HTTP/2");
        assertThat(a.maxActivePerConnection.get()).isEqualTo(2);
        // six at once, two per connection: three connections (four when the requests split unevenly over the
        // waypoint's two event loops, each with its own pool)
        assertThat(a.connections.get()).isBetween(3, 4);
    }

    @Test
    void replacedHttp2ConnectionsKeepTheirOwnStreamCounts() throws Exception {
        setUp(http2Cluster(2), RouteAction.newBuilder(), a);
        // Rounds that overlap: streams ending on a connection already replaced must not count against its successor.
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < 3; i++) {
                all.add(bed.http.sendAsync(
                        HttpRequest.newBuilder(URI.create(bed.url("/slow?delay=400")))
                                .build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            Thread.sleep(150);
        }
        for (var f : all) {
            assertThat(f.get().statusCode()).isEqualTo(200);
        }
        assertThat(a.maxActivePerConnection.get()).isLessThanOrEqualTo(2);
    }

    @Test
    void aMaxConcurrentStreamsOfZeroIsRefusedByField() {
        assertThatThrownBy(() -> io.ambientjava.waypoint.config.ClusterTranslator.translate(http2Cluster(0)))
                .hasMessageContaining("http2_protocol_options.max_concurrent_streams");
    }

    @Test
    void upstreamConnectionsPastTheirMaxDurationAreNotReused() throws Exception {
        setUp(
                Envoy.edsCluster(TestBed.DEFAULT_CLUSTER)
                        .setCommonHttpProtocolOptions(
                                HttpProtocolOptions.newBuilder().setMaxConnectionDuration(Envoy.millis(400)))
                        .build(),
                RouteAction.newBuilder(),
                a);
        assertThat(bed.get("/1").statusCode()).isEqualTo(200);
        assertThat(bed.get("/2").statusCode()).isEqualTo(200);
        assertThat(a.connections.get()).as("reused while young").isEqualTo(1);
        Thread.sleep(700);
        assertThat(bed.get("/3").statusCode()).isEqualTo(200);
        assertThat(a.connections.get())
                .as("an idle connection past its age was closed")
                .isEqualTo(2);
        // a connection that reaches its age mid-request finishes the request, then is not reused
        assertThat(bed.get("/slow?delay=700").statusCode()).isEqualTo(200);
        assertThat(bed.get("/4").statusCode()).isEqualTo(200);
        assertThat(a.connections.get()).isEqualTo(3);
    }

    @Test
    void anHttp2ConnectionPastItsMaxDurationDrainsAndTheNextStreamGetsANewOne() throws Exception {
        setUp(
                Envoy.edsCluster(TestBed.DEFAULT_CLUSTER)
                        .setHttp2ProtocolOptions(
                                io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions.getDefaultInstance())
                        .setCommonHttpProtocolOptions(
                                HttpProtocolOptions.newBuilder().setMaxConnectionDuration(Envoy.millis(400)))
                        .build(),
                RouteAction.newBuilder(),
                a);
        CompletableFuture<HttpResponse<String>> longRequest = bed.http.sendAsync(
                HttpRequest.newBuilder(URI.create(bed.url("/slow?delay=900"))).build(),
                HttpResponse.BodyHandlers.ofString());
        Thread.sleep(600);
        assertThat(bed.get("/after").statusCode()).isEqualTo(200);
        assertThat(longRequest.get().statusCode())
                .as("the stream in flight on the old connection finished")
                .isEqualTo(200);
        assertThat(a.seen).extracting(TestUpstream.Seen::protocol).containsOnly("HTTP/2");
        assertThat(a.connections.get()).isEqualTo(2);
    }

    @Test
    void aNegativeMaxConnectionDurationIsRefusedByField() {
        Cluster bad = Envoy.edsCluster(TestBed.DEFAULT_CLUSTER)
                .setCommonHttpProtocolOptions(HttpProtocolOptions.newBuilder()
                        .setMaxConnectionDuration(
                                com.google.protobuf.Duration.newBuilder().setSeconds(-1)))
                .build();
        assertThatThrownBy(() -> io.ambientjava.waypoint.config.ClusterTranslator.translate(bad))
                .hasMessageContaining("common_http_protocol_options.max_connection_duration");
    }
}
