package io.ambientjava.waypoint.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TelemetryConfigs;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.ambientjava.waypoint.tracing.WaypointTracing;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a listener's telemetry config changes in what the waypoint does: logs, metrics, trace headers. */
class ListenerTelemetryTest {

    @TempDir
    Path dir;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final AccessLogWriter logs = new AccessLogWriter(new PrintStream(stdout, true, StandardCharsets.UTF_8));
    private WaypointTelemetry telemetry;
    private TestBed bed;
    private TestUpstream up;

    @BeforeEach
    void start() {
        telemetry = new WaypointTelemetry(
                new IstioRequestMetrics(registry),
                logs,
                new WaypointTracing("waypoint.default", cluster -> Optional.empty(), Duration.ofMillis(100)),
                RequestObserver.NONE);
        bed = new TestBed(telemetry);
        up = bed.upstream("v1");
        bed.push(Envoy.routes(
                TestBed.HOST + ":" + TestBed.PORT,
                List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build())));
        bed.cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build(), up);
    }

    @AfterEach
    void stop() {
        bed.close();
        telemetry.close();
    }

    private void listener(UnaryOperator<HttpConnectionManager.Builder> change) {
        bed.push(TelemetryConfigs.withHcm(Envoy.httpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST), change));
    }

    private String stdout() {
        logs.flush(2000);
        return stdout.toString(StandardCharsets.UTF_8);
    }

    @Test
    void accessLogGoesToAFileInTheGuideFormatAndToStdoutAsJsonThroughItsFilter() throws Exception {
        Path file = dir.resolve("logs/access.log");
        listener(hcm -> hcm.addAccessLog(TelemetryConfigs.fileLog(file.toString(), null, null))
                .addAccessLog(TelemetryConfigs.jsonFileLog(
                                "/dev/stdout",
                                Map.of("code", "%RESPONSE_CODE%", "path", "%REQ(:PATH)%", "ua", "%REQ(USER-AGENT)%"))
                        .toBuilder()
                        .setFilter(TelemetryConfigs.fileLog("x", null, "response.code >= 400")
                                .getFilter())
                        .build()));
        assertThat(bed.get("/ok").statusCode()).isEqualTo(200);
        assertThat(bed.get("/broken?status=503").statusCode()).isEqualTo(503);
        logs.flush(2000);
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(2);
        assertThat(lines.getFirst())
                .matches(
                        "\\[\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z] \"GET /ok HTTP/1.1\" 200 \\d+ \\d+ \\d+"
                                + " \"-\" \"Java-http-client/.*\" \"-\" \"-\" \"127.0.0.1\"");
        assertThat(lines.get(1)).contains("\"GET /broken?status=503 HTTP/1.1\" 503 ");
        // only the failed request passed the JSON log's filter
        assertThat(stdout().lines().toList())
                .singleElement()
                .satisfies(l -> assertThat(l).startsWith("{\"code\":503,\"path\":\"/broken?status=503\",\"ua\":"));
    }

    @Test
    void withoutAccessLogEntriesNothingIsLogged() {
        listener(hcm -> hcm);
        assertThat(bed.get("/quiet").statusCode()).isEqualTo(200);
        assertThat(stdout()).isEmpty();
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void metricOverridesDropAddAndRemoveTags() {
        listener(hcm -> TelemetryConfigs.beforeRouter(
                hcm,
                TelemetryConfigs.statsFilter(
                        TelemetryConfigs.metric(
                                "requests_total",
                                Map.of("request_host", "request.host", "user", "request.headers['x-user']"),
                                List.of("source_principal", "destination_principal"),
                                false),
                        TelemetryConfigs.metric("request_bytes", Map.of(), List.of(), true))));
        HttpRequest request = HttpRequest.newBuilder(URI.create(bed.url("/m")))
                .header("x-user", "alice")
                .timeout(Duration.ofSeconds(10))
                .build();
        assertThat(bed.send(request).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.scrape().contains("istio_requests_total{"));
        String scrape = registry.scrape();
        assertThat(scrape)
                .containsPattern(
                        "istio_requests_total\\{[^}]*request_host=\"127.0.0.1:\\d+\"[^}]*user=\"alice\"[^}]*\\} 1");
        assertThat(scrape).doesNotContainPattern("istio_requests_total\\{[^}]*source_principal=");
        assertThat(scrape).doesNotContain("istio_request_bytes");
        assertThat(scrape).contains("istio_response_bytes_bucket");
        assertThat(scrape).containsPattern("istio_response_bytes_count\\{[^}]*source_principal=\"unknown\"");

        // the override goes away: the standard series come back, the custom ones are gone
        listener(hcm -> hcm);
        assertThat(bed.get("/n").statusCode()).isEqualTo(200);
        String after = registry.scrape();
        assertThat(after).doesNotContain("user=\"alice\"");
        assertThat(after).containsPattern("istio_requests_total\\{[^}]*source_principal=\"unknown\"[^}]*\\} 1");
        assertThat(after).contains("istio_request_bytes_bucket");
    }

    @Test
    void dropAllMetricsLeavesNoRequestSeries() {
        listener(hcm -> TelemetryConfigs.beforeRouter(
                hcm, TelemetryConfigs.statsFilter(TelemetryConfigs.metric("", Map.of(), List.of(), true))));
        assertThat(bed.get("/x").statusCode()).isEqualTo(200);
        assertThat(registry.scrape()).doesNotContain("istio_request");
    }

    @Test
    void traceHeadersPassUntouchedWithoutTracing() {
        listener(hcm -> hcm);
        String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        bed.send(HttpRequest.newBuilder(URI.create(bed.url("/t")))
                .header("traceparent", traceparent)
                .header("b3", "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1")
                .build());
        var seen = up.seen.getLast().headers();
        assertThat(seen.get("traceparent")).isEqualTo(traceparent);
        assertThat(seen.get("b3")).isEqualTo("0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1");
    }

    @Test
    void samplingFollowsTheIncomingDecisionElseThePercentage() {
        listener(hcm -> hcm.setTracing(TelemetryConfigs.zipkinTracing("nowhere", 0)));
        // no context: 0% → a new trace, not sampled, propagated as W3C and B3
        assertThat(bed.get("/new").statusCode()).isEqualTo(200);
        var fresh = up.seen.getLast().headers();
        assertThat(fresh.get("traceparent"))
                .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[02]"); // sampled bit clear (02: the trace id is random)
        assertThat(fresh.get("x-b3-sampled")).isEqualTo("0");
        // a sampled parent stays sampled, whatever the percentage
        bed.send(HttpRequest.newBuilder(URI.create(bed.url("/kept")))
                .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                .build());
        var kept = up.seen.getLast().headers();
        assertThat(kept.get("traceparent"))
                .startsWith("00-0af7651916cd43dd8448eb211c80319c-")
                .endsWith("-01");
        assertThat(kept.get("traceparent")).doesNotContain("b7ad6b7169203331");
    }

    @Test
    void theAccessLogCarriesTheTraceOfTheRequest() {
        listener(hcm -> hcm.setTracing(TelemetryConfigs.zipkinTracing("nowhere", 100))
                .addAccessLog(TelemetryConfigs.fileLog("/dev/stdout", "%TRACE_ID% %SPAN_ID%\n", null)));
        bed.send(HttpRequest.newBuilder(URI.create(bed.url("/traced")))
                .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                .build());
        assertThat(stdout().strip()).matches("0af7651916cd43dd8448eb211c80319c [0-9a-f]{16}");
    }
}
