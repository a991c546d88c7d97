package io.ambientjava.waypoint.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.waypoint.config.EndpointConfig;
import io.ambientjava.waypoint.telemetry.AccessLogWriter;
import io.ambientjava.waypoint.telemetry.IstioRequestMetrics;
import io.ambientjava.waypoint.telemetry.RequestObserver;
import io.ambientjava.waypoint.telemetry.WaypointTelemetry;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TelemetryConfigs;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A {@link TestBed} whose waypoint traces: its HTTP listener carries a {@code tracing} block, and the tracer's
 * collector is the first endpoint of a cluster, here a loopback port of the test's own collector.
 */
final class TracedBed implements AutoCloseable {

    static final String TRACE_ID = "5b8efff798038103d269b633813fc60c";

    private final WaypointTelemetry telemetry;
    private final TestBed bed;

    /** @param collectorCluster the cluster the tracer names; it gets {@code collectorPort} on loopback as endpoint */
    TracedBed(HttpConnectionManager.Tracing tracing, String collectorCluster, int collectorPort) {
        TestBed[] self = new TestBed[1];
        telemetry = new WaypointTelemetry(
                new IstioRequestMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)),
                new AccessLogWriter(),
                new WaypointTracing(
                        "waypoint.default",
                        cluster -> self[0].runtime.config().endpointsOf(cluster).stream()
                                .findFirst()
                                .map(EndpointConfig::address),
                        Duration.ofMillis(100)),
                RequestObserver.NONE);
        bed = new TestBed(telemetry);
        self[0] = bed;
        bed.push(TelemetryConfigs.withHcm(
                Envoy.httpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST), hcm -> hcm.setTracing(tracing)));
        bed.push(Envoy.routes(
                TestBed.HOST + ":" + TestBed.PORT,
                List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build())));
        bed.cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build(), bed.upstream("v1"));
        bed.push(Envoy.edsCluster(collectorCluster).build());
        bed.push(Envoy.plainEndpoints(
                collectorCluster, List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), collectorPort))));
    }

    /** A request that continues trace {@link #TRACE_ID} (sampled), then flushes until {@code exported} holds. */
    void sendTracedAndAwait(String path, BooleanSupplier exported) {
        assertThat(bed.send(HttpRequest.newBuilder(URI.create(bed.url(path)))
                                .header("traceparent", "00-" + TRACE_ID + "-eee19b7ec3c1b174-01")
                                .build())
                        .statusCode())
                .isEqualTo(200);
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            telemetry.tracing().flush();
            return exported.getAsBoolean();
        });
    }

    @Override
    public void close() {
        bed.close();
        telemetry.close();
    }
}
