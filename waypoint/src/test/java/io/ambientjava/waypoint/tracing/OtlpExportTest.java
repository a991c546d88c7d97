package io.ambientjava.waypoint.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.sun.net.httpserver.HttpServer;
import io.ambientjava.waypoint.config.EndpointConfig;
import io.ambientjava.waypoint.telemetry.AccessLogWriter;
import io.ambientjava.waypoint.telemetry.IstioRequestMetrics;
import io.ambientjava.waypoint.telemetry.RequestObserver;
import io.ambientjava.waypoint.telemetry.WaypointTelemetry;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TelemetryConfigs;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.envoyproxy.envoy.config.core.v3.HttpService;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The OpenTelemetry provider: spans leave as OTLP over HTTP (protobuf, OpenTelemetry's exporter with the JDK
 * sender) for the provider's cluster. The receiver here is a loopback HTTP endpoint that keeps what it is sent,
 * not a collector: it checks the export path, the content type and that the trace's id is in the payload.
 */
class OtlpExportTest {

    private record Received(String path, String contentType, byte[] body) {}

    @Test
    void spansAreExportedAsOtlpHttpProtobufToTheProvidersCluster() throws Exception {
        List<Received> received = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        collector.createContext("/", exchange -> {
            try (exchange) {
                received.add(new Received(
                        exchange.getRequestURI().getPath(),
                        exchange.getRequestHeaders().getFirst("content-type"),
                        exchange.getRequestBody().readAllBytes()));
                exchange.sendResponseHeaders(200, -1);
            }
        });
        collector.start();
        AtomicReference<TestBed> bedRef = new AtomicReference<>();
        WaypointTelemetry telemetry = new WaypointTelemetry(
                new IstioRequestMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)),
                new AccessLogWriter(),
                new WaypointTracing(
                        "waypoint.default",
                        cluster -> bedRef.get().runtime.config().endpointsOf(cluster).stream()
                                .findFirst()
                                .map(EndpointConfig::address),
                        Duration.ofMillis(100)),
                RequestObserver.NONE);
        try (TestBed bed = new TestBed(telemetry)) {
            bedRef.set(bed);
            var up = bed.upstream("v1");
            String otel = "outbound|4318||otel-collector.istio-system.svc.cluster.local";
            HttpConnectionManager.Tracing tracing = HttpConnectionManager.Tracing.newBuilder()
                    .setProvider(io.envoyproxy.envoy.config.trace.v3.Tracing.Http.newBuilder()
                            .setName("envoy.tracers.opentelemetry")
                            .setTypedConfig(Any.pack(OpenTelemetryConfig.newBuilder()
                                    .setServiceName("reviews-waypoint")
                                    .setHttpService(HttpService.newBuilder()
                                            .setHttpUri(HttpUri.newBuilder()
                                                    .setUri("http://otel-collector.istio-system:4318/v1/traces")
                                                    .setCluster(otel)))
                                    .build())))
                    .build();
            bed.push(TelemetryConfigs.withHcm(
                    Envoy.httpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST), hcm -> hcm.setTracing(tracing)));
            bed.push(Envoy.routes(
                    TestBed.HOST + ":" + TestBed.PORT,
                    List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build())));
            bed.cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build(), up);
            bed.push(Envoy.edsCluster(otel).build());
            bed.push(Envoy.plainEndpoints(
                    otel,
                    List.of(new InetSocketAddress(
                            InetAddress.getLoopbackAddress(),
                            collector.getAddress().getPort()))));
            String traceId = "5b8efff798038103d269b633813fc60c";
            assertThat(bed.send(HttpRequest.newBuilder(URI.create(bed.url("/otlp")))
                                    .header("traceparent", "00-" + traceId + "-eee19b7ec3c1b174-01")
                                    .build())
                            .statusCode())
                    .isEqualTo(200);
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                telemetry.tracing().flush();
                return !received.isEmpty();
            });
        } finally {
            telemetry.close();
            collector.stop(0);
        }
        Received export = received.getFirst();
        assertThat(export.path()).isEqualTo("/v1/traces");
        assertThat(export.contentType()).isEqualTo("application/x-protobuf");
        byte[] id = HexFormat.of().parseHex("5b8efff798038103d269b633813fc60c");
        assertThat(indexOf(export.body(), id))
                .as("trace id bytes in the OTLP payload")
                .isNotNegative();
        assertThat(new String(export.body(), java.nio.charset.StandardCharsets.ISO_8859_1))
                .contains("reviews-waypoint");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
