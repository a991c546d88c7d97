package io.ambientjava.waypoint.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ambientjava.waypoint.config.EndpointConfig;
import io.ambientjava.waypoint.proxy.DownstreamListener;
import io.ambientjava.waypoint.telemetry.AccessLogWriter;
import io.ambientjava.waypoint.telemetry.IstioRequestMetrics;
import io.ambientjava.waypoint.telemetry.RequestObserver;
import io.ambientjava.waypoint.telemetry.WaypointTelemetry;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TelemetryConfigs;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.ZipkinServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Distributed tracing against a real Zipkin server: a request from a client to service a, which calls b, which
 * calls c, every hop through the waypoint; the little apps only copy the trace headers from the request they got
 * to the request they make (as Istio asks of applications). Zipkin must show one trace: the waypoint's server span
 * for each hop, a client span under it for the upstream call, and the next hop's server span under that.
 */
class ZipkinTraceTest {

    private static final String NS = "default";
    private static final List<String> SERVICES = List.of("a", "b", "c");
    private static final List<String> TRACE_HEADERS = List.of(
            "traceparent", "tracestate", "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled");

    private static ZipkinServer zipkin;

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final AtomicReference<TestBed> bedRef = new AtomicReference<>();
    private final Map<String, DownstreamListener> listeners = new HashMap<>();
    private final Map<String, HttpServer> apps = new HashMap<>();
    /** What each app received, by service. */
    private final Map<String, Map<String, String>> received = new ConcurrentHashMap<>();

    private WaypointTracing tracing;
    private WaypointTelemetry telemetry;
    private TestBed bed;

    @BeforeAll
    static void startZipkin() throws Exception {
        zipkin = ZipkinServer.start();
    }

    @AfterAll
    static void stopZipkin() {
        if (zipkin != null) {
            zipkin.close();
        }
    }

    @BeforeEach
    void start() throws IOException {
        tracing = new WaypointTracing(
                "waypoint.default",
                cluster -> bedRef.get().runtime.config().endpointsOf(cluster).stream()
                        .findFirst()
                        .map(EndpointConfig::address),
                Duration.ofMillis(100));
        telemetry = new WaypointTelemetry(
                new IstioRequestMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)),
                new AccessLogWriter(),
                tracing,
                RequestObserver.NONE);
        bed = new TestBed(telemetry);
        bedRef.set(bed);
        for (int i = 0; i < SERVICES.size(); i++) {
            String svc = SERVICES.get(i);
            String vip = "198.19.0." + (21 + i);
            listeners.put(
                    svc,
                    DownstreamListener.plain(
                                    bed.group,
                                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                                    bed.runtime,
                                    vip,
                                    80)
                            .join());
        }
        for (int i = 0; i < SERVICES.size(); i++) {
            String svc = SERVICES.get(i);
            Optional<String> next = i + 1 < SERVICES.size() ? Optional.of(SERVICES.get(i + 1)) : Optional.empty();
            apps.put(svc, app(svc, next));
        }
        bed.push(TelemetryConfigs.withHcm(
                Envoy.httpListener("198.19.0.21", 80, host("a")),
                hcm -> hcm.setTracing(TelemetryConfigs.zipkinTracing(
                        "zipkin",
                        100,
                        TelemetryConfigs.literalTag("mesh", "ambient-java"),
                        TelemetryConfigs.headerTag("user", "x-user"),
                        TelemetryConfigs.environmentTag("region", "AMBIENT_TEST_UNSET_VARIABLE", "lab")))));
        for (int i = 1; i < SERVICES.size(); i++) {
            String svc = SERVICES.get(i);
            bed.push(TelemetryConfigs.withHcm(
                    Envoy.httpListener("198.19.0." + (21 + i), 80, host(svc)),
                    hcm -> hcm.setTracing(TelemetryConfigs.zipkinTracing("zipkin", 100))));
        }
        for (String svc : SERVICES) {
            bed.push(Envoy.routes(
                    host(svc) + ":80",
                    List.of(Envoy.prefixRoute("/", cluster(svc)).build())));
        }
        bed.push(
                Envoy.edsCluster(cluster("a")).build(),
                Envoy.edsCluster(cluster("b")).build(),
                Envoy.edsCluster(cluster("c")).build(),
                Envoy.edsCluster("zipkin").build());
        bed.push(
                Envoy.plainEndpoints(cluster("a"), List.of(address(apps.get("a")))),
                Envoy.plainEndpoints(cluster("b"), List.of(address(apps.get("b")))),
                Envoy.plainEndpoints(cluster("c"), List.of(address(apps.get("c")))),
                Envoy.plainEndpoints(
                        "zipkin", List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), zipkin.port()))));
    }

    @AfterEach
    void stop() {
        apps.values().forEach(a -> a.stop(0));
        listeners.values().forEach(DownstreamListener::close);
        if (bed != null) {
            bed.close();
        }
        if (telemetry != null) {
            telemetry.close();
        }
    }

    private static String host(String svc) {
        return svc + "." + NS + ".svc.cluster.local";
    }

    private static String cluster(String svc) {
        return "outbound|80||" + host(svc);
    }

    private static InetSocketAddress address(HttpServer app) {
        return new InetSocketAddress(
                InetAddress.getLoopbackAddress(), app.getAddress().getPort());
    }

    /** A service that copies the trace headers it got onto its call to {@code next} (through the waypoint). */
    private HttpServer app(String name, Optional<String> next) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", exchange -> {
            try (exchange) {
                Map<String, String> headers = new HashMap<>();
                exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), String.join(",", v)));
                received.put(name, headers);
                String body = name;
                if (next.isPresent()) {
                    HttpRequest.Builder call = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                    + listeners.get(next.get()).port() + "/" + next.get()))
                            .timeout(Duration.ofSeconds(10));
                    for (String h : TRACE_HEADERS) {
                        String v = headers.get(h);
                        if (v != null) {
                            call.header(h, v);
                        }
                    }
                    HttpResponse<String> answer = client.send(call.build(), HttpResponse.BodyHandlers.ofString());
                    body = name + ">" + answer.body();
                }
                reply(exchange, body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        return server;
    }

    private static void reply(HttpExchange exchange, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private HttpResponse<String> callA(Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + listeners.get("a").port() + "/start"))
                .timeout(Duration.ofSeconds(20));
        headers.forEach(request::header);
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<JsonNode> trace(String traceId, int spans) {
        List<JsonNode> found = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    tracing.flush();
                    HttpResponse<String> r = client.send(
                            HttpRequest.newBuilder(URI.create(zipkin.url("/api/v2/trace/" + traceId)))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        return false;
                    }
                    found.clear();
                    json.readTree(r.body()).forEach(found::add);
                    return found.size() >= spans;
                });
        return found;
    }

    private static JsonNode one(List<JsonNode> spans, String kind, String parentId) {
        List<JsonNode> matching = spans.stream()
                .filter(s -> s.path("kind").asText().equals(kind)
                        && s.path("parentId").asText().equals(parentId))
                .toList();
        assertThat(matching)
                .as("one %s span whose parent is %s in %s", kind, parentId, spans)
                .hasSize(1);
        return matching.getFirst();
    }

    @Test
    void threeServicesThroughTheWaypointAreOneTraceWithParentsAndChildren() throws Exception {
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        String clientSpan = "00f067aa0ba902b7";
        HttpResponse<String> response = callA(Map.of(
                "traceparent", "00-" + traceId + "-" + clientSpan + "-01",
                "tracestate", "vendor=opaque",
                "x-user", "alice"));
        assertThat(response.statusCode()).as(response.body() + bed.records).isEqualTo(200);
        assertThat(response.body()).isEqualTo("a>b>c");

        List<JsonNode> spans = trace(traceId, 6);
        assertThat(spans).hasSize(6);
        assertThat(spans).allSatisfy(s -> {
            assertThat(s.path("traceId").asText()).isEqualTo(traceId);
            assertThat(s.path("localEndpoint").path("serviceName").asText()).isEqualTo("waypoint.default");
        });
        // the chain: client → [waypoint server a → client a] → app a → [server b → client b] → app b → [server c ...]
        JsonNode serverA = one(spans, "SERVER", clientSpan);
        JsonNode clientA = one(spans, "CLIENT", serverA.path("id").asText());
        JsonNode serverB = one(spans, "SERVER", clientA.path("id").asText());
        JsonNode clientB = one(spans, "CLIENT", serverB.path("id").asText());
        JsonNode serverC = one(spans, "SERVER", clientB.path("id").asText());
        JsonNode clientC = one(spans, "CLIENT", serverC.path("id").asText());

        assertThat(clientA.path("tags").path("upstream_cluster").asText()).isEqualTo(cluster("a"));
        assertThat(clientC.path("tags").path("upstream_cluster").asText()).isEqualTo(cluster("c"));
        assertThat(serverA.path("tags").path("http.status_code").asText()).isEqualTo("200");
        assertThat(serverA.path("tags").path("http.method").asText()).isEqualTo("GET");
        // custom tags of a's listener: literal, request header, environment (default when unset)
        assertThat(serverA.path("tags").path("mesh").asText()).isEqualTo("ambient-java");
        assertThat(serverA.path("tags").path("user").asText()).isEqualTo("alice");
        assertThat(serverA.path("tags").path("region").asText()).isEqualTo("lab");
        assertThat(serverB.path("tags").has("mesh")).isFalse();
        // the timing nests: each client span lies within its server span
        long startA = serverA.path("timestamp").asLong();
        long startClientA = clientA.path("timestamp").asLong();
        assertThat(startClientA).isGreaterThanOrEqualTo(startA);
        assertThat(startClientA + clientA.path("duration").asLong())
                .isLessThanOrEqualTo(startA + serverA.path("duration").asLong() + 1000);

        // W3C came in, W3C went out: same trace, the client span as parent, tracestate kept, no B3 invented
        Map<String, String> atA = received.get("a");
        assertThat(atA.get("traceparent"))
                .isEqualTo("00-" + traceId + "-" + clientA.path("id").asText() + "-01");
        assertThat(atA.get("tracestate")).isEqualTo("vendor=opaque");
        assertThat(atA).doesNotContainKeys("b3", "x-b3-traceid");
    }

    @Test
    void b3MultiHeaderContextIsContinuedAndPropagatedAsB3() throws Exception {
        String traceId = "80f198ee56343ba864fe8b2a57d3eff7";
        String clientSpan = "e457b5a2e4d86bd1";
        HttpResponse<String> response = callA(Map.of(
                "x-b3-traceid", traceId,
                "x-b3-spanid", clientSpan,
                "x-b3-sampled", "1"));
        assertThat(response.statusCode()).as(response.body() + bed.records).isEqualTo(200);
        List<JsonNode> spans = trace(traceId, 6);
        JsonNode serverA = one(spans, "SERVER", clientSpan);
        JsonNode clientA = one(spans, "CLIENT", serverA.path("id").asText());
        Map<String, String> atA = received.get("a");
        assertThat(atA.get("x-b3-traceid")).isEqualTo(traceId);
        assertThat(atA.get("x-b3-spanid")).isEqualTo(clientA.path("id").asText());
        assertThat(atA.get("x-b3-sampled")).isEqualTo("1");
        assertThat(atA).doesNotContainKeys("traceparent", "b3");
    }

    @Test
    void b3SingleHeaderContextIsContinuedInTheSameForm() throws Exception {
        String traceId = "463ac35c9f6413ad48485a3953bb6124";
        String clientSpan = "a2fb4a1d1a96d312";
        HttpResponse<String> response = callA(Map.of("b3", traceId + "-" + clientSpan + "-1"));
        assertThat(response.statusCode()).as(response.body() + bed.records).isEqualTo(200);
        List<JsonNode> spans = trace(traceId, 6);
        JsonNode serverA = one(spans, "SERVER", clientSpan);
        JsonNode clientA = one(spans, "CLIENT", serverA.path("id").asText());
        assertThat(received.get("a").get("b3"))
                .isEqualTo(traceId + "-" + clientA.path("id").asText() + "-1");
        assertThat(received.get("a")).doesNotContainKeys("traceparent", "x-b3-traceid");
    }
}
