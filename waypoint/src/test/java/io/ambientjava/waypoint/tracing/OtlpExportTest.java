package io.ambientjava.waypoint.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.sun.net.httpserver.HttpServer;
import io.envoyproxy.envoy.config.core.v3.HttpService;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
        try (TracedBed bed = new TracedBed(tracing, otel, collector.getAddress().getPort())) {
            bed.sendTracedAndAwait("/otlp", () -> !received.isEmpty());
        } finally {
            collector.stop(0);
        }
        Received export = received.getFirst();
        assertThat(export.path()).isEqualTo("/v1/traces");
        assertThat(export.contentType()).isEqualTo("application/x-protobuf");
        byte[] id = HexFormat.of().parseHex(TracedBed.TRACE_ID);
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
