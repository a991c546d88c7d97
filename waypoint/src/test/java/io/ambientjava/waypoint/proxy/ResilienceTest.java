package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ResilienceTest {

    private static final String V1 = "outbound|80|v1|" + TestBed.HOST;
    private static final String V2 = "outbound|80|v2|" + TestBed.HOST;

    private final TestBed bed = new TestBed();
    private final TestUpstream v1 = bed.upstream("v1");
    private final TestUpstream v2 = bed.upstream("v2");

    @AfterEach
    void close() {
        bed.close();
    }

    private void routeWith(RouteAction.Builder action) {
        bed.cluster(Envoy.edsCluster(V1).build(), v1);
        bed.cluster(Envoy.edsCluster(V2).build(), v2);
        bed.configure(List.of(Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(action.setCluster(V1))
                .build()));
    }

    @Test
    void routeTimeoutAnswers504() {
        routeWith(RouteAction.newBuilder().setTimeout(Envoy.millis(300)));
        long start = System.nanoTime();
        var r = bed.get("/slow?delay=3000");
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(tookMs).isBetween(250L, 2500L);
        assertThat(bed.records.getLast().responseFlags()).isEqualTo("UT");
        assertThat(bed.get("/fast").statusCode()).isEqualTo(200);
    }

    @Test
    void retriesOn5xxUntilSuccess() {
        routeWith(RouteAction.newBuilder()
                .setRetryPolicy(RetryPolicy.newBuilder()
                        .setRetryOn("5xx")
                        .setNumRetries(Envoy.u32(3))
                        .setPerTryTimeout(Envoy.seconds(2))));
        var r = bed.get("/flaky?failFirst=2");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(v1.count.get()).isEqualTo(3);
        assertThat(bed.records.getLast().attempts()).isEqualTo(3);
        assertThat(v1.seen.getLast().headers()).containsEntry("x-envoy-attempt-count", "3");
    }

    @Test
    void retriesATrailersOnlyGrpcUnavailableAsIstiosDefaultPolicyAsks() {
        routeWith(RouteAction.newBuilder()
                .setRetryPolicy(RetryPolicy.newBuilder()
                        .setRetryOn("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes")
                        .setNumRetries(Envoy.u32(2))));
        var r = bed.get("/grpc?failFirst=1&grpcError=14");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("grpc-status")).isEmpty();
        assertThat(v1.count.get()).isEqualTo(2);

        var notRetried = bed.get("/grpc?grpcError=13"); // INTERNAL is not in this policy
        assertThat(notRetried.headers().firstValue("grpc-status")).hasValue("13");
        assertThat(v1.count.get()).isEqualTo(3);
    }

    @Test
    void retriesStopAtNumRetries() {
        routeWith(RouteAction.newBuilder()
                .setRetryPolicy(
                        RetryPolicy.newBuilder().setRetryOn("gateway-error").setNumRetries(Envoy.u32(2))));
        var r = bed.get("/down?status=503");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(v1.count.get()).isEqualTo(3);
        var notRetried = bed.get("/bad?status=500");
        assertThat(notRetried.statusCode()).isEqualTo(500); // 500 is not a gateway error
        assertThat(v1.count.get()).isEqualTo(4);
    }

    @Test
    void perTryTimeoutIsRetried() {
        routeWith(RouteAction.newBuilder()
                .setTimeout(Envoy.seconds(5))
                .setRetryPolicy(RetryPolicy.newBuilder()
                        .setRetryOn("5xx")
                        .setNumRetries(Envoy.u32(1))
                        .setPerTryTimeout(Envoy.millis(200))));
        var r = bed.get("/slow?delay=1000");
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(v1.count.get()).isEqualTo(2);
        assertThat(bed.records.getLast().attempts()).isEqualTo(2);
    }

    @Test
    void retryBackoffWaitsBetweenTries() {
        routeWith(RouteAction.newBuilder()
                .setRetryPolicy(RetryPolicy.newBuilder()
                        .setRetryOn("5xx")
                        .setNumRetries(Envoy.u32(1))
                        .setRetryBackOff(RetryPolicy.RetryBackOff.newBuilder()
                                .setBaseInterval(Envoy.millis(100))
                                .setMaxInterval(Envoy.millis(100)))));
        // Jitter makes one wait random in [0, 100 ms): over ten requests the total is well above zero.
        long start = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            bed.get("/x?status=503");
        }
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(v1.count.get()).isEqualTo(20);
        assertThat(tookMs).isGreaterThan(150);
    }

    private void fault(HTTPFault fault) {
        bed.cluster(Envoy.edsCluster(V1).build(), v1);
        bed.configure(List.of(Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder().setCluster(V1))
                .putTypedPerFilterConfig("envoy.filters.http.fault", Any.pack(fault))
                .build()));
    }

    private static FractionalPercent percent(int p) {
        return FractionalPercent.newBuilder()
                .setNumerator(p)
                .setDenominator(FractionalPercent.DenominatorType.HUNDRED)
                .build();
    }

    @Test
    void faultDelayOnTenPercent() {
        fault(HTTPFault.newBuilder()
                .setDelay(
                        FaultDelay.newBuilder().setFixedDelay(Envoy.millis(10)).setPercentage(percent(10)))
                .build());
        int n = 1000;
        for (int i = 0; i < n; i++) {
            assertThat(bed.get("/f").statusCode()).isEqualTo(200);
        }
        long delayed =
                bed.records.stream().filter(r -> r.responseFlags().equals("DI")).count();
        // 10 % of 1,000 is 100 ± 9.5 (one standard deviation); ±4.2 of them fails one run in ~40,000 (±3.2 did fail)
        assertThat(delayed * 100.0 / n).isBetween(6.0, 14.0);
        assertThat(bed.records.stream().filter(r -> r.responseFlags().equals("DI")))
                .allSatisfy(r -> assertThat(r.durationMillis()).isGreaterThanOrEqualTo(9));
    }

    @Test
    void faultAbortHttpAndGrpc() {
        fault(HTTPFault.newBuilder()
                .setAbort(FaultAbort.newBuilder().setHttpStatus(418).setPercentage(percent(50)))
                .build());
        int n = 400;
        int aborted = 0;
        for (int i = 0; i < n; i++) {
            if (bed.get("/a").statusCode() == 418) {
                aborted++;
            }
        }
        assertThat(aborted * 100.0 / n).isBetween(40.0, 60.0);
        assertThat(v1.count.get()).isEqualTo(n - aborted);

        fault(HTTPFault.newBuilder()
                .setAbort(FaultAbort.newBuilder().setGrpcStatus(14))
                .build());
        var r = bed.send(HttpRequest.newBuilder(URI.create(bed.url("/pkg.Svc/Call")))
                .header("content-type", "application/grpc")
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("grpc-status")).contains("14");
    }

    @Test
    void mirrorSendsShadowCopiesAndNeverSlowsTheLiveRequest() {
        routeWith(RouteAction.newBuilder()
                .addRequestMirrorPolicies(RouteAction.RequestMirrorPolicy.newBuilder()
                        .setCluster(V2)
                        .setRuntimeFraction(
                                RuntimeFractionalPercent.newBuilder().setDefaultValue(percent(100)))));
        v2.alwaysAnswer(500);
        for (int i = 0; i < 20; i++) {
            var r = bed.send(HttpRequest.newBuilder(URI.create(bed.url("/m?i=" + i)))
                    .POST(HttpRequest.BodyPublishers.ofString("body-" + i))
                    .build());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-upstream")).contains("v1");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> v2.count.get() == 20);
        assertThat(v2.seen)
                .allSatisfy(s -> assertThat(s.headers().get("host")).endsWith("-shadow:" + bed.listener.port()));
        assertThat(v2.seen.getFirst().body()).isEqualTo("body-0");

        // A mirror that hangs does not hold up the live request.
        long start = System.nanoTime();
        var r = bed.get("/m2?delay=0");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1000);
    }

    @Test
    void mirrorToADeadClusterDoesNotFailTheLiveRequest() throws Exception {
        var dead = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        var address = (java.net.InetSocketAddress) dead.getLocalSocketAddress();
        dead.close();
        bed.cluster(Envoy.edsCluster(V1).build(), v1);
        bed.push(Envoy.edsCluster(V2).build());
        bed.push(Envoy.plainEndpoints(V2, List.of(address)));
        bed.configure(List.of(Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder()
                        .setCluster(V1)
                        .addRequestMirrorPolicies(
                                RouteAction.RequestMirrorPolicy.newBuilder().setCluster(V2)))
                .build()));
        for (int i = 0; i < 5; i++) {
            assertThat(bed.get("/live").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void resetIsRetriedOnlyWhenAsked() {
        routeWith(RouteAction.newBuilder()
                .setRetryPolicy(RetryPolicy.newBuilder().setRetryOn("reset").setNumRetries(Envoy.u32(2))));
        var r = bed.get("/r?reset=1");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(v1.count.get()).isEqualTo(3);
        assertThat(bed.records.getLast().responseFlags()).isEqualTo("UC");
    }

    @Test
    void connectFailureRetryMovesToAnotherHost() throws Exception {
        var dead = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        var address = (java.net.InetSocketAddress) dead.getLocalSocketAddress();
        dead.close();
        bed.push(Envoy.edsCluster(V1).build());
        bed.push(Envoy.plainEndpoints(V1, List.of(address, v1.address())));
        bed.configure(List.of(Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder()
                        .setCluster(V1)
                        .setRetryPolicy(RetryPolicy.newBuilder()
                                .setRetryOn("connect-failure")
                                .setNumRetries(Envoy.u32(1))))
                .build()));
        for (int i = 0; i < 10; i++) {
            assertThat(bed.get("/cf").statusCode()).isEqualTo(200);
        }
        assertThat(v1.count.get()).isEqualTo(10);
    }
}
