package io.ambientjava.waypoint.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.istiod.translate.MeshTelemetry;
import io.ambientjava.waypoint.config.ListenerConfig;
import io.ambientjava.waypoint.telemetry.AccessLogWriter;
import io.ambientjava.waypoint.telemetry.IstioRequestMetrics;
import io.ambientjava.waypoint.telemetry.RequestObserver;
import io.ambientjava.waypoint.telemetry.WaypointTelemetry;
import io.ambientjava.waypoint.testsupport.IstiodLite;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.ambientjava.waypoint.tracing.WaypointTracing;
import io.ambientjava.waypoint.xds.AdsClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Telemetry API end to end: Istio YAML in istiod-lite's config folder, its Envoy xDS to the waypoint's ADS
 * client, and what the waypoint then does with requests — the seed's mesh-wide Telemetry keeps Istio's standard
 * metrics, a namespace Telemetry drops a metric, adds a tag and turns the access log on, and a Telemetry on one
 * Service turns its access log off again.
 */
class TelemetryFromIstiodLiteTest {

    private static final Path SEEDS = Path.of("../istiod-lite/src/test/resources/seed-examples");
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path folder;

    @TempDir
    Path logs;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AccessLogWriter writer = new AccessLogWriter();
    private WaypointTelemetry telemetry;
    private TestBed bed;
    private TestUpstream app;
    private IstiodLite istiodLite;
    private AdsClient client;
    private Path accessLog;

    @BeforeEach
    void start() throws IOException {
        telemetry = new WaypointTelemetry(
                new IstioRequestMetrics(registry),
                writer,
                new WaypointTracing("waypoint.default", c -> Optional.empty(), Duration.ofMillis(100)),
                RequestObserver.NONE);
        bed = new TestBed(telemetry);
        app = bed.upstream("reviews-v1");
        accessLog = logs.resolve("access.log");
        Files.writeString(folder.resolve("00-mesh.yaml"), mesh(app.address().getPort()));
        Files.writeString(
                folder.resolve("06-telemetry-mesh-default.yaml"),
                Files.readString(SEEDS.resolve("06-telemetry-mesh-default.yaml")));
        istiodLite = IstiodLite.start(
                folder,
                MeshCertificateAuthority.createSelfSigned("cluster.local"),
                istiod -> istiod.meshTelemetry(MeshTelemetry.parse("""
                        extensionProviders:
                        - name: file
                          envoyFileAccessLog: {path: %s}
                        - name: otel
                          opentelemetry: {service: otel-collector.istio-system.svc.cluster.local, port: 4317}
                        """.formatted(accessLog), "test")));
        client = istiodLite.subscribe(IstiodLite.WAYPOINT, bed.runtime::apply);
    }

    @AfterEach
    void stop() throws Exception {
        if (istiodLite != null) {
            istiodLite.close();
        }
        bed.close();
        telemetry.close();
    }

    /** reviews on TestBed's VIP and port, its one pod on loopback out of the mesh (plain TCP from the waypoint). */
    private static String mesh(int appPort) {
        return """
                apiVersion: v1
                kind: Namespace
                metadata: {name: default, labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint}}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: waypoint, namespace: default}
                spec:
                  gatewayClassName: istio-waypoint
                  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: waypoint, namespace: default, labels: {gateway.istio.io/managed: istio.io-mesh-controller}}
                spec: {clusterIP: 198.19.0.2, ports: [{name: mesh, port: 15008}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: reviews, namespace: default}
                spec: {clusterIP: %s, selector: {app: reviews}, ports: [{name: http, port: %d, targetPort: %d}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata:
                  name: reviews-v1
                  namespace: default
                  labels: {app: reviews, version: v1, istio.io/dataplane-mode: none}
                spec:
                  serviceAccountName: reviews
                  nodeName: node-a
                  containers: [{name: app, image: app, ports: [{containerPort: %d}]}]
                status: {phase: Running, podIP: 127.0.0.1, conditions: [{type: Ready, status: "True"}]}
                """.formatted(TestBed.VIP, TestBed.PORT, appPort, appPort);
    }

    private void awaitListener(Predicate<ListenerConfig.Http> condition) {
        IstiodLite.awaitAccepted(
                client,
                () -> bed.runtime
                        .config()
                        .listenerFor(TestBed.VIP, TestBed.PORT)
                        .map(l -> l.kind() instanceof ListenerConfig.Http http && condition.test(http))
                        .orElse(false));
    }

    private List<String> accessLines() throws IOException {
        writer.flush(2000);
        return Files.exists(accessLog) ? Files.readAllLines(accessLog) : List.of();
    }

    @Test
    void seedTelemetryThenNamespaceAndServiceOverridesChangeWhatTheWaypointDoes() throws Exception {
        awaitListener(http -> true);
        await().atMost(WAIT)
                .until(() -> bed.runtime
                                .config()
                                .endpointsOf("outbound|80||" + TestBed.HOST)
                                .size()
                        == 1);
        // seed 06: Istio's standard metrics under their names, no access log
        assertThat(bed.get("/seed").statusCode()).isEqualTo(200);
        String scrape = registry.scrape();
        assertThat(scrape)
                .containsPattern("istio_requests_total\\{[^}]*destination_service=\"" + TestBed.HOST.replace(".", "\\.")
                        + "\"[^}]*response_code=\"200\"[^}]*\\} 1");
        assertThat(scrape).contains("istio_request_bytes_bucket").doesNotContain("request_host=");
        assertThat(accessLines()).isEmpty();

        Files.writeString(folder.resolve("30-namespace-telemetry.yaml"), """
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: namespace-overrides, namespace: default}
                spec:
                  metrics:
                  - providers: [{name: prometheus}]
                    overrides:
                    - match: {metric: REQUEST_SIZE}
                      disabled: true
                    - match: {metric: REQUEST_COUNT}
                      tagOverrides:
                        request_host: {value: request.host}
                        client_user: {value: "request.headers['x-user']"}
                  accessLogging:
                  - providers: [{name: file}]
                """);
        awaitListener(http -> http.telemetry().stats().isPresent()
                && !http.telemetry().accessLogs().isEmpty());
        assertThat(bed.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(bed.url("/namespace")))
                                .header("x-user", "alice")
                                .build())
                        .statusCode())
                .isEqualTo(200);
        String after = registry.scrape();
        assertThat(after).doesNotContain("istio_request_bytes"); // the disabled metric is gone from the scrape
        assertThat(after)
                .containsPattern(
                        "istio_requests_total\\{[^}]*client_user=\"alice\"[^}]*request_host=\"127\\.0\\.0\\.1:\\d+\"[^}]*\\} 1");
        assertThat(after).contains("istio_response_bytes_bucket");
        assertThat(accessLines())
                .singleElement()
                .satisfies(line -> assertThat(line).contains("\"GET /namespace HTTP/1.1\" 200 "));

        // the Service-level Telemetry turns reviews' access log off; metrics stay as the namespace set them
        Files.writeString(folder.resolve("31-reviews-telemetry.yaml"), """
                apiVersion: telemetry.istio.io/v1alpha1
                kind: Telemetry
                metadata: {name: reviews-quiet, namespace: default}
                spec:
                  targetRefs: [{group: "", kind: Service, name: reviews}]
                  accessLogging: [{disabled: true}]
                """);
        awaitListener(http -> http.telemetry().accessLogs().isEmpty());
        assertThat(bed.get("/service").statusCode()).isEqualTo(200);
        assertThat(accessLines()).hasSize(1);
        assertThat(registry.scrape()).containsPattern("istio_requests_total\\{[^}]*request_host=");
        assertThat(istiodLite.server().pipeline().warnings())
                .noneMatch(w -> w.toString().contains("Telemetry"));
    }

    /** Istio's OpenTelemetry provider without an {@code http} block: OTLP over gRPC, accepted as sent. */
    @Test
    void anOpenTelemetryProviderWithoutHttpBecomesOtlpOverGrpcAtTheWaypoint() throws Exception {
        Files.writeString(folder.resolve("20-otel.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata: {name: istio-system}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: otel-collector, namespace: istio-system}
                spec: {clusterIP: 198.19.0.90, ports: [{name: grpc-otlp, port: 4317}]}
                ---
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: tracing, namespace: default}
                spec:
                  tracing: [{providers: [{name: otel}], randomSamplingPercentage: 100}]
                """);
        awaitListener(http -> http.telemetry().tracing().isPresent());
        var provider = ((ListenerConfig.Http) bed.runtime
                        .config()
                        .listenerFor(TestBed.VIP, TestBed.PORT)
                        .orElseThrow()
                        .kind())
                .telemetry()
                .tracing()
                .orElseThrow()
                .provider();
        assertThat(provider)
                .isInstanceOf(io.ambientjava.waypoint.config.TracingConfig.OpenTelemetryGrpc.class)
                .extracting(io.ambientjava.waypoint.config.TracingConfig.Provider::cluster)
                .isEqualTo("outbound|4317||otel-collector.istio-system.svc.cluster.local");
        assertThat(bed.runtime.config().clusters()).containsKey(provider.cluster());
        assertThat(client.nacks()).as(client.lastNack()).isZero();
    }

    @Test
    void aTagExpressionTheWaypointCannotEvaluateIsNackedNamingIt() throws Exception {
        awaitListener(http -> true);
        Files.writeString(folder.resolve("40-bad-expression.yaml"), """
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: bad-tag, namespace: default}
                spec:
                  metrics:
                  - overrides:
                    - match: {metric: REQUEST_COUNT}
                      tagOverrides:
                        subject: {value: "request.auth.claims['sub']"}
                """);
        await().atMost(WAIT).until(() -> client.nacks() > 0);
        assertThat(client.lastNack()).contains("metrics[0].dimensions.subject").contains("request.auth.claims['sub']");
        // the waypoint keeps serving with the config it had
        assertThat(bed.get("/still").statusCode()).isEqualTo(200);
    }
}
