package io.ambientjava.waypoint.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import io.ambientjava.waypoint.telemetry.AccessLogFormat;
import io.ambientjava.waypoint.telemetry.RequestAttributes;
import io.ambientjava.waypoint.telemetry.RequestRecord;
import io.ambientjava.waypoint.telemetry.TelemetryExpression;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TelemetryConfigs;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLogFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ComparisonFilter;
import io.envoyproxy.envoy.config.accesslog.v3.StatusCodeFilter;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.RuntimeUInt32;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TelemetryTranslatorTest {

    private static final String HOST = "reviews.default.svc.cluster.local";

    private static ListenerConfig.Http translate(
            java.util.function.UnaryOperator<HttpConnectionManager.Builder> change) {
        var listener = TelemetryConfigs.withHcm(Envoy.httpListener("198.19.0.10", 80, HOST), change);
        return (ListenerConfig.Http) ListenerTranslator.translate(listener).kind();
    }

    static RequestRecord record(int status, String path) {
        return new RequestRecord(
                Instant.parse("2026-01-01T10:00:00Z"),
                50,
                "GET",
                path,
                "reviews:9080",
                "HTTP/1.1",
                status,
                "-",
                0,
                1024,
                1,
                "default",
                "outbound|80||" + HOST,
                Optional.of("198.18.0.7:9080"),
                Optional.empty(),
                Optional.empty(),
                HOST,
                Optional.of("spiffe://cluster.local/ns/default/sa/productpage"),
                Optional.of("198.18.0.5:43210"),
                Optional.empty(),
                Optional.empty(),
                "req-1",
                true,
                List.of());
    }

    @Test
    void noTelemetryFieldsMeanNone() {
        ListenerConfig.Http http = translate(b -> b);
        assertThat(http.telemetry()).isEqualTo(HttpTelemetryConfig.NONE);
    }

    @Test
    void tracingAccessLogAndStatsAreRead() {
        ListenerConfig.Http http = translate(b -> TelemetryConfigs.beforeRouter(
                b.setTracing(TelemetryConfigs.zipkinTracing(
                                "outbound|9411||zipkin.istio-system.svc.cluster.local",
                                25,
                                TelemetryConfigs.literalTag("team", "shop")))
                        .addAccessLog(TelemetryConfigs.fileLog("/dev/stdout", null, "response.code >= 400")),
                TelemetryConfigs.statsFilter(
                        TelemetryConfigs.metric("requests_total", Map.of("host", "request.host"), List.of(), false),
                        TelemetryConfigs.metric("request_bytes", Map.of(), List.of(), true))));
        TracingConfig tracing = http.telemetry().tracing().orElseThrow();
        assertThat(tracing.randomSamplingPercent()).isEqualTo(25.0);
        assertThat(tracing.provider())
                .isEqualTo(new TracingConfig.Zipkin(
                        "outbound|9411||zipkin.istio-system.svc.cluster.local", "/api/v2/spans", ""));
        assertThat(tracing.customTags()).containsExactly(new TracingConfig.LiteralTag("team", "shop"));
        AccessLogConfig log = http.telemetry().accessLogs().getFirst();
        assertThat(log.path()).isEqualTo("/dev/stdout");
        assertThat(log.filter().orElseThrow().test(RequestAttributes.of(record(503, "/"))))
                .isTrue();
        assertThat(log.filter().orElseThrow().test(RequestAttributes.of(record(200, "/"))))
                .isFalse();
        StatsConfig stats = http.telemetry().stats().orElseThrow();
        assertThat(stats.metrics()).hasSize(2);
        assertThat(stats.metrics().get(1).drop()).isTrue();
        assertThat(http.httpFilters()).contains("istio.stats");
    }

    @Test
    void theGuideFormatIsTheDefault() {
        String line = AccessLogFormat.guide()
                .render(new RequestAttributes(
                        record(200, "/api/v1/products"),
                        new DefaultHttpHeaders().set("user-agent", "curl/7.68.0"),
                        new DefaultHttpHeaders(),
                        Optional.of("4bf92f3577b34da6a3ce929d0e0e4736"),
                        Optional.of("00f067aa0ba902b7"),
                        10));
        assertThat(line)
                .isEqualTo(
                        "[2026-01-01T10:00:00.000Z] \"GET /api/v1/products HTTP/1.1\" 200 1024 50 10 \"-\""
                                + " \"curl/7.68.0\" \"4bf92f3577b34da6a3ce929d0e0e4736\" \"00f067aa0ba902b7\" \"198.18.0.5\"\n");
    }

    @Test
    void jsonFormatKeepsNumbersAndQuotesText() {
        String line = AccessLogFormat.json(Map.of(
                        "code", "%RESPONSE_CODE%",
                        "path", "%REQ(:PATH)%",
                        "who", "%DOWNSTREAM_PEER_URI_SAN% via \"%UPSTREAM_HOST%\""))
                .render(RequestAttributes.of(record(404, "/x")));
        assertThat(line)
                .isEqualTo("{\"code\":404,\"path\":\"/x\",\"who\":"
                        + "\"spiffe://cluster.local/ns/default/sa/productpage via \\\"198.18.0.7:9080\\\"\"}\n");
    }

    @Test
    void expressionsCoverTheSimpleForms() {
        var attrs = new RequestAttributes(
                record(503, "/p?q=1"),
                new DefaultHttpHeaders().set("x-user", "alice"),
                new DefaultHttpHeaders().set("x-cache", "miss"),
                Optional.empty(),
                Optional.empty(),
                -1);
        assertThat(TelemetryExpression.parse("request.host").evaluateToString(attrs))
                .isEqualTo("reviews:9080");
        assertThat(TelemetryExpression.parse("request.headers['x-user']").evaluateToString(attrs))
                .isEqualTo("alice");
        assertThat(TelemetryExpression.parse("request.headers['X-Missing']").evaluateToString(attrs))
                .isEqualTo("unknown");
        assertThat(TelemetryExpression.parse("'literal'").evaluateToString(attrs))
                .isEqualTo("literal");
        assertThat(TelemetryExpression.parse("request.url_path").evaluateToString(attrs))
                .isEqualTo("/p");
        assertThat(TelemetryExpression.parse("response.code >= 500 && request.method == 'GET'")
                        .test(attrs))
                .isTrue();
        assertThat(TelemetryExpression.parse("!(response.code < 400) || false").test(attrs))
                .isTrue();
        assertThat(TelemetryExpression.parse("response.headers['x-cache'] != \"hit\"")
                        .test(attrs))
                .isTrue();
        assertThat(TelemetryExpression.parse("connection.mtls").test(attrs)).isTrue();
    }

    @Test
    void unsupportedExpressionsAreRefusedNamingThem() {
        assertThatThrownBy(() -> TelemetryExpression.parse("request.headers['a'].size() > 2"))
                .hasMessageContaining("request.headers['a'].size() > 2");
        assertThatThrownBy(() -> TelemetryExpression.parse("has(request.host)"))
                .hasMessageContaining("functions are not supported");
        assertThatThrownBy(() -> TelemetryExpression.parse("request.bogus == 1"))
                .hasMessageContaining("unknown attribute 'request.bogus'");
        assertThatThrownBy(() -> TelemetryExpression.parse("response.code >=")).hasMessageContaining("ends too early");
        assertThatThrownBy(() -> TelemetryExpression.parse("")).hasMessageContaining("empty");
    }

    @Test
    void aBadFilterExpressionNacksTheListener() {
        assertThatThrownBy(() -> translate(
                        b -> b.addAccessLog(TelemetryConfigs.fileLog("/dev/stdout", null, "response.code >> 2"))))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("access_log[0].filter.extension_filter.typed_config.expression")
                .hasMessageContaining("'response.code >> 2'");
    }

    @Test
    void aBadTagExpressionNacksTheListener() {
        assertThatThrownBy(() -> translate(b -> TelemetryConfigs.beforeRouter(
                        b,
                        TelemetryConfigs.statsFilter(TelemetryConfigs.metric(
                                "requests_total", Map.of("user", "request.auth.claims['sub']"), List.of(), false)))))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("metrics[0].dimensions.user")
                .hasMessageContaining("request.auth.claims");
    }

    @Test
    void anUnknownMetricIsRefused() {
        assertThatThrownBy(() -> translate(b -> TelemetryConfigs.beforeRouter(
                        b,
                        TelemetryConfigs.statsFilter(TelemetryConfigs.metric("requests", Map.of(), List.of(), true)))))
                .hasMessageContaining("unknown metric 'requests'");
    }

    @Test
    void anUnknownFormatOperatorIsRefused() {
        assertThatThrownBy(() -> translate(b -> b.addAccessLog(
                        TelemetryConfigs.fileLog("/tmp/x.log", "%START_TIME% %UPSTREAM_WIRE_BYTES_SENT%", null))))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("%UPSTREAM_WIRE_BYTES_SENT%");
    }

    @Test
    void anUnknownTracerOrLoggerIsRefused() {
        assertThatThrownBy(() -> translate(b -> b.setTracing(HttpConnectionManager.Tracing.newBuilder()
                        .setProvider(io.envoyproxy.envoy.config.trace.v3.Tracing.Http.newBuilder()
                                .setName("envoy.tracers.datadog")
                                .setTypedConfig(Any.pack(ZipkinConfig.getDefaultInstance()))))))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("unsupported tracer 'envoy.tracers.datadog'");
        assertThatThrownBy(() -> translate(b -> b.setTracing(otlp(GrpcService.newBuilder()
                        .setGoogleGrpc(GrpcService.GoogleGrpc.newBuilder().setTargetUri("otel:4317"))))))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("typed_config.grpc_service.google_grpc");
        assertThatThrownBy(() -> translate(b -> b.addAccessLog(AccessLog.newBuilder()
                        .setName("envoy.access_loggers.http_grpc")
                        .setTypedConfig(Any.pack(com.google.protobuf.Empty.getDefaultInstance())))))
                .hasMessageContaining("unsupported access logger 'envoy.access_loggers.http_grpc'");
    }

    private static HttpConnectionManager.Tracing otlp(GrpcService.Builder grpc) {
        return HttpConnectionManager.Tracing.newBuilder()
                .setProvider(io.envoyproxy.envoy.config.trace.v3.Tracing.Http.newBuilder()
                        .setName("envoy.tracers.opentelemetry")
                        .setTypedConfig(Any.pack(OpenTelemetryConfig.newBuilder()
                                .setServiceName("reviews-waypoint")
                                .setGrpcService(grpc)
                                .build())))
                .build();
    }

    @Test
    void otlpOverGrpcNamesItsCollectorClusterAndTimeout() {
        var http = translate(b -> b.setTracing(otlp(GrpcService.newBuilder()
                .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder().setClusterName("outbound|4317||otel"))
                .setTimeout(Envoy.seconds(3)))));
        assertThat(http.telemetry().tracing().orElseThrow().provider())
                .isEqualTo(new TracingConfig.OpenTelemetryGrpc(
                        "outbound|4317||otel", "reviews-waypoint", java.time.Duration.ofSeconds(3)));
        var defaults = translate(b -> b.setTracing(otlp(GrpcService.newBuilder()
                .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder().setClusterName("outbound|4317||otel")))));
        assertThat(((TracingConfig.OpenTelemetryGrpc)
                                defaults.telemetry().tracing().orElseThrow().provider())
                        .timeout())
                .hasSeconds(10);
        assertThatThrownBy(() -> translate(b -> b.setTracing(otlp(GrpcService.newBuilder()
                        .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder().setClusterName(""))))))
                .hasMessageContaining("grpc_service.envoy_grpc.cluster_name: empty");
        assertThatThrownBy(() -> translate(b -> b.setTracing(otlp(GrpcService.newBuilder()
                        .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder()
                                .setClusterName("otel")
                                .setAuthority("collector"))))))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("authority");
    }

    @Test
    void statusCodeFiltersBecomeComparisons() {
        ListenerConfig.Http http =
                translate(b -> b.addAccessLog(TelemetryConfigs.fileLog("/dev/stdout", null, null).toBuilder()
                        .setFilter(AccessLogFilter.newBuilder()
                                .setStatusCodeFilter(StatusCodeFilter.newBuilder()
                                        .setComparison(ComparisonFilter.newBuilder()
                                                .setOp(ComparisonFilter.Op.GE)
                                                .setValue(RuntimeUInt32.newBuilder()
                                                        .setDefaultValue(500)))))
                        .build()));
        var filter = http.telemetry().accessLogs().getFirst().filter().orElseThrow();
        assertThat(filter.source()).isEqualTo("response.code >= 500");
        assertThat(filter.test(RequestAttributes.of(record(502, "/")))).isTrue();
        assertThat(filter.test(RequestAttributes.of(record(404, "/")))).isFalse();
    }
}
