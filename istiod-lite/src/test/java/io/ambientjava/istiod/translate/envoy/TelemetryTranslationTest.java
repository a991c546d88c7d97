package io.ambientjava.istiod.translate.envoy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.testsupport.Configs;
import io.ambientjava.istiod.translate.MeshTelemetry;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog;
import io.envoyproxy.envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;
import org.junit.jupiter.api.Test;

class TelemetryTranslationTest {

    private static final String REVIEWS = "inbound-vip|9080|http|reviews.default.svc.cluster.local";
    private static final String RATINGS = "inbound-vip|9080|http|ratings.default.svc.cluster.local";

    private static final MeshTelemetry MESH = MeshTelemetry.parse("""
            extensionProviders:
            - name: zipkin
              zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}
            - name: otel
              opentelemetry: {service: otel-collector.istio-system.svc.cluster.local, port: 4318, http: {}}
            - name: otel-grpc
              opentelemetry: {service: otel-collector.istio-system.svc.cluster.local, port: 4317}
            - name: json-file
              envoyFileAccessLog:
                path: /var/log/waypoint/access.json
                logFormat: {labels: {code: "%RESPONSE_CODE%", path: "%REQ(:PATH)%"}}
            defaultConfig:
              tracing: {sampling: 5}
            """, "test mesh config");

    private static final String ZIPKIN = """
            apiVersion: v1
            kind: Service
            metadata: {name: zipkin, namespace: istio-system}
            spec: {clusterIP: 198.19.0.90, selector: {app: zipkin}, ports: [{name: http-query, port: 9411}]}
            """;

    private static ConfigSnapshot mesh(String... telemetry) {
        String[] docs = new String[telemetry.length + 2];
        docs[0] = ZIPKIN;
        docs[1] = Configs.pod("istio-system", "zipkin-0", "198.18.9.9", "zipkin", "node-a", "app=zipkin");
        System.arraycopy(telemetry, 0, docs, 2, telemetry.length);
        return BookinfoMesh.with(docs);
    }

    private static EnvoyTranslation translate(ConfigSnapshot snapshot) {
        return new EnvoyTranslator(BookinfoMesh.SETTINGS, MESH).translate(snapshot);
    }

    private static HttpConnectionManager hcm(EnvoyTranslation translation, String listener) {
        Listener l = BookinfoMesh.waypoint(translation).listeners().get(listener);
        assertThat(l).as(listener).isNotNull();
        try {
            return l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static Struct stats(HttpConnectionManager hcm) throws InvalidProtocolBufferException {
        HttpFilter filter = hcm.getHttpFiltersList().stream()
                .filter(f -> f.getName().equals("istio.stats"))
                .findFirst()
                .orElseThrow();
        var typed = filter.getTypedConfig().unpack(com.github.xds.type.v3.TypedStruct.class);
        assertThat(typed.getTypeUrl()).isEqualTo("type.googleapis.com/stats.PluginConfig");
        return typed.getValue();
    }

    @Test
    void theSeedTelemetryKeepsTheStandardMetricsAndAddsNothing() {
        EnvoyTranslation translation = translate(mesh(BookinfoMesh.seed("06-telemetry-mesh-default.yaml")));
        assertThat(translation.warnings()).isEmpty();
        HttpConnectionManager hcm = hcm(translation, REVIEWS);
        assertThat(hcm.hasTracing()).isFalse();
        assertThat(hcm.getAccessLogList()).isEmpty();
        assertThat(hcm.getHttpFiltersList()).noneMatch(f -> f.getName().equals("istio.stats"));
    }

    @Test
    void tracingMergesFromMeshToNamespaceToService() throws Exception {
        EnvoyTranslation translation = translate(mesh("""
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: mesh-default, namespace: istio-system}
                spec:
                  tracing:
                  - providers: [{name: zipkin}]
                    customTags:
                      cluster: {literal: {value: lab}}
                """, """
                apiVersion: telemetry.istio.io/v1alpha1
                kind: Telemetry
                metadata: {name: namespace-tracing, namespace: default}
                spec:
                  tracing:
                  - randomSamplingPercentage: 50
                    customTags:
                      user: {header: {name: x-user, defaultValue: anonymous}}
                """, """
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: reviews-tracing, namespace: default}
                spec:
                  targetRefs: [{group: "", kind: Service, name: reviews}]
                  tracing:
                  - randomSamplingPercentage: 100
                    customTags:
                      pod: {environment: {name: POD_NAME}}
                """));
        assertThat(translation.warnings()).isEmpty();
        HttpConnectionManager reviews = hcm(translation, REVIEWS);
        assertThat(reviews.getTracing().getRandomSampling().getValue()).isEqualTo(100.0);
        assertThat(reviews.getTracing().getCustomTagsList())
                .extracting(t -> t.getTag())
                .containsExactlyInAnyOrder("cluster", "user", "pod");
        assertThat(reviews.getTracing().getProvider().getName()).isEqualTo("envoy.tracers.zipkin");
        ZipkinConfig zipkin =
                reviews.getTracing().getProvider().getTypedConfig().unpack(ZipkinConfig.class);
        assertThat(zipkin.getCollectorCluster()).isEqualTo("outbound|9411||zipkin.istio-system.svc.cluster.local");
        assertThat(zipkin.getCollectorEndpoint()).isEqualTo("/api/v2/spans");
        assertThat(zipkin.getCollectorEndpointVersion()).isEqualTo(ZipkinConfig.CollectorEndpointVersion.HTTP_JSON);
        HttpConnectionManager ratings = hcm(translation, RATINGS);
        assertThat(ratings.getTracing().getRandomSampling().getValue()).isEqualTo(50.0);
        assertThat(ratings.getTracing().getCustomTagsList())
                .extracting(t -> t.getTag())
                .containsExactlyInAnyOrder("cluster", "user");
        // the collector's cluster and endpoints go to the waypoint with the tracing config
        var waypoint = BookinfoMesh.waypoint(translation);
        assertThat(waypoint.clusters()).containsKey("outbound|9411||zipkin.istio-system.svc.cluster.local");
        assertThat(waypoint.endpoints()
                        .get("outbound|9411||zipkin.istio-system.svc.cluster.local")
                        .getEndpoints(0)
                        .getLbEndpoints(0)
                        .getEndpoint()
                        .getAddress()
                        .getSocketAddress()
                        .getAddress())
                .isEqualTo("198.18.9.9");
    }

    @Test
    void withoutATelemetrySamplingThePercentageIsTheMeshDefault() {
        EnvoyTranslation translation = translate(mesh("""
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: mesh-default, namespace: istio-system}
                spec:
                  tracing: [{providers: [{name: otel}]}]
                """));
        HttpConnectionManager hcm = hcm(translation, REVIEWS);
        assertThat(hcm.getTracing().getRandomSampling().getValue()).isEqualTo(5.0);
        assertThat(hcm.getTracing().getProvider().getName()).isEqualTo("envoy.tracers.opentelemetry");
        assertThat(translation.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.message())
                        .contains("otel-collector.istio-system.svc.cluster.local:4318")
                        .contains("not in the mesh"));
    }

    /** Istio's provider sends OTLP over gRPC unless it has an {@code http} block. */
    @Test
    void anOpenTelemetryProviderWithoutHttpExportsOverGrpc() throws Exception {
        for (String provider : List.of("otel", "otel-grpc")) {
            EnvoyTranslation translation = translate(mesh("""
                    apiVersion: telemetry.istio.io/v1
                    kind: Telemetry
                    metadata: {name: mesh-default, namespace: istio-system}
                    spec:
                      tracing: [{providers: [{name: %s}]}]
                    """.formatted(provider)));
            var otlp = hcm(translation, REVIEWS)
                    .getTracing()
                    .getProvider()
                    .getTypedConfig()
                    .unpack(io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig.class);
            if (provider.equals("otel")) {
                assertThat(otlp.getHttpService().getHttpUri().getUri())
                        .isEqualTo("http://otel-collector.istio-system.svc.cluster.local:4318/v1/traces");
                assertThat(otlp.hasGrpcService()).isFalse();
            } else {
                assertThat(otlp.getGrpcService().getEnvoyGrpc().getClusterName())
                        .isEqualTo("outbound|4317||otel-collector.istio-system.svc.cluster.local");
                assertThat(otlp.getGrpcService().getTimeout().getSeconds()).isEqualTo(5);
                assertThat(otlp.hasHttpService()).isFalse();
            }
        }
    }

    @Test
    void metricOverridesBecomeTheStatsFilterBeforeTheRouter() throws Exception {
        EnvoyTranslation translation = translate(mesh(BookinfoMesh.seed("06-telemetry-mesh-default.yaml"), """
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: namespace-metrics, namespace: default}
                spec:
                  metrics:
                  - providers: [{name: prometheus}]
                    overrides:
                    - match: {metric: REQUEST_SIZE}
                      disabled: true
                    - match: {metric: REQUEST_COUNT, mode: SERVER}
                      tagOverrides:
                        request_host: {value: request.host}
                        source_principal: {operation: REMOVE}
                    - match: {metric: REQUEST_COUNT, mode: CLIENT}
                      disabled: true
                """));
        assertThat(translation.warnings()).isEmpty();
        HttpConnectionManager hcm = hcm(translation, REVIEWS);
        List<String> filters =
                hcm.getHttpFiltersList().stream().map(HttpFilter::getName).toList();
        assertThat(filters.subList(filters.size() - 2, filters.size()))
                .containsExactly("istio.stats", "envoy.filters.http.router");
        var metrics = stats(hcm).getFieldsOrThrow("metrics").getListValue().getValuesList();
        assertThat(metrics).hasSize(2); // the CLIENT-mode override is a client proxy's, not the waypoint's
        Struct drop = metrics.get(0).getStructValue();
        assertThat(drop.getFieldsOrThrow("name").getStringValue()).isEqualTo("request_bytes");
        assertThat(drop.getFieldsOrThrow("drop").getBoolValue()).isTrue();
        Struct tags = metrics.get(1).getStructValue();
        assertThat(tags.getFieldsOrThrow("name").getStringValue()).isEqualTo("requests_total");
        assertThat(tags.getFieldsOrThrow("dimensions")
                        .getStructValue()
                        .getFieldsOrThrow("request_host")
                        .getStringValue())
                .isEqualTo("request.host");
        assertThat(tags.getFieldsOrThrow("tags_to_remove")
                        .getListValue()
                        .getValues(0)
                        .getStringValue())
                .isEqualTo("source_principal");
    }

    @Test
    void accessLoggingProvidersFilterAndAWorkloadThatTurnsItOff() throws Exception {
        EnvoyTranslation translation = translate(mesh("""
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: mesh-logs, namespace: istio-system}
                spec:
                  accessLogging:
                  - providers: [{name: envoy}, {name: json-file}]
                    filter: {expression: "response.code >= 400"}
                """, """
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: quiet-ratings, namespace: default}
                spec:
                  targetRefs: [{kind: Service, group: "", name: ratings}]
                  accessLogging: [{disabled: true}]
                """));
        assertThat(translation.warnings()).isEmpty();
        HttpConnectionManager reviews = hcm(translation, REVIEWS);
        assertThat(reviews.getAccessLogList()).hasSize(2);
        FileAccessLog stdout = reviews.getAccessLog(0).getTypedConfig().unpack(FileAccessLog.class);
        assertThat(stdout.getPath()).isEqualTo("/dev/stdout");
        assertThat(stdout.getLogFormat().getTextFormatSource().getInlineString())
                .startsWith("[%START_TIME%] \"%REQ(:METHOD)%");
        FileAccessLog json = reviews.getAccessLog(1).getTypedConfig().unpack(FileAccessLog.class);
        assertThat(json.getPath()).isEqualTo("/var/log/waypoint/access.json");
        assertThat(json.getLogFormat().getJsonFormat().getFieldsMap()).containsOnlyKeys("code", "path");
        assertThat(reviews.getAccessLog(0)
                        .getFilter()
                        .getExtensionFilter()
                        .getTypedConfig()
                        .unpack(ExpressionFilter.class)
                        .getExpression())
                .isEqualTo("response.code >= 400");
        assertThat(hcm(translation, RATINGS).getAccessLogList()).isEmpty();
    }

    @Test
    void aSelectorOrGatewayTargetRefSelectsTheWaypointItself() {
        String byGateway = """
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: waypoint-logs, namespace: default}
                spec:
                  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: waypoint}]
                  accessLogging: [{providers: [{name: envoy}]}]
                """;
        assertThat(hcm(translate(mesh(byGateway)), RATINGS).getAccessLogList()).hasSize(1);
        String bySelector = """
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: waypoint-logs, namespace: default}
                spec:
                  selector: {matchLabels: {gateway.networking.k8s.io/gateway-name: waypoint}}
                  accessLogging: [{providers: [{name: envoy}]}]
                """;
        assertThat(hcm(translate(mesh(bySelector)), RATINGS).getAccessLogList()).hasSize(1);
        String otherPods = bySelector.replace("gateway.networking.k8s.io/gateway-name: waypoint", "app: reviews");
        assertThat(hcm(translate(mesh(otherPods)), RATINGS).getAccessLogList()).isEmpty();
    }

    @Test
    void anUndefinedProviderIsReportedAndLeftOut() {
        EnvoyTranslation translation = translate(mesh("""
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: typo, namespace: default}
                spec:
                  tracing: [{providers: [{name: zipkn}]}]
                  accessLogging: [{providers: [{name: zipkin}]}]
                """));
        assertThat(translation.warnings())
                .extracting(w -> w.resource().name() + ": " + w.message())
                .anySatisfy(m -> assertThat(m)
                        .contains("typo: tracing provider 'zipkn' is not defined in the mesh config's"
                                + " extensionProviders"))
                .anySatisfy(m -> assertThat(m).contains("provider 'zipkin' is not an access log provider"));
        HttpConnectionManager hcm = hcm(translation, REVIEWS);
        assertThat(hcm.hasTracing()).isFalse();
        assertThat(hcm.getAccessLogList()).isEmpty();
    }

    @Test
    void twoTelemetriesOnOneLevelTheOlderCounts() {
        EnvoyTranslation translation = translate(mesh("""
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: first, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z"}
                spec:
                  accessLogging: [{providers: [{name: envoy}]}]
                """, """
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: second, namespace: default, creationTimestamp: "2026-02-01T00:00:00Z"}
                spec:
                  accessLogging: [{disabled: true}]
                """));
        assertThat(hcm(translation, REVIEWS).getAccessLogList()).hasSize(1);
        assertThat(translation.warnings())
                .anySatisfy(w -> assertThat(w.toString()).contains("second").contains("default/first is older"));
    }

    @Test
    void meshConfigErrorsNameTheField() {
        assertThatThrownBy(() -> MeshTelemetry.parse(
                        "extensionProviders: [{name: z, zipkin: {service: zipkin.x, port: 9411, colour: red}}]", "f"))
                .hasMessageContaining("unknown field extensionProviders 'z'.zipkin.colour");
        assertThatThrownBy(() -> MeshTelemetry.parse("extensionProviders: [{name: s, stackdriver: {}}]", "f"))
                .hasMessageContaining("provider kind 'stackdriver' is not supported");
        assertThatThrownBy(() -> MeshTelemetry.parse("defaultProviders: {tracing: [jaeger]}", "f"))
                .hasMessageContaining("defaultProviders names 'jaeger'");
        assertThatThrownBy(() -> MeshTelemetry.parse("extensionProviders: [{name: z, zipkin: {service: s}}]", "f"))
                .hasMessageContaining("port must be 1..65535");
        assertThatThrownBy(() -> MeshTelemetry.read(java.nio.file.Path.of("/nonexistent/mesh.yaml")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mesh config /nonexistent/mesh.yaml cannot be read");
    }

    @Test
    void theIstioConfigMapFormIsRead() {
        MeshTelemetry fromConfigMap = MeshTelemetry.parse("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: istio, namespace: istio-system}
                data:
                  mesh: |-
                    accessLogFile: /dev/stdout
                    accessLogEncoding: JSON
                    defaultProviders: {tracing: [zipkin]}
                    extensionProviders:
                    - name: zipkin
                      zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}
                """, "configmap");
        assertThat(fromConfigMap.defaultProviders().tracing()).containsExactly("zipkin");
        assertThat(fromConfigMap.accessLogFile().orElseThrow().labels()).containsKey("response_code");
        EnvoyTranslation translation = new EnvoyTranslator(BookinfoMesh.SETTINGS, fromConfigMap).translate(mesh());
        HttpConnectionManager hcm = hcm(translation, REVIEWS);
        assertThat(hcm.getTracing().getRandomSampling().getValue()).isEqualTo(1.0);
        assertThat(hcm.getAccessLogList()).hasSize(1);
    }

    @Test
    void theIngressGatewayGetsItsTelemetryByNamespaceOrSelector() throws Exception {
        String gateway = """
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: edge, namespace: default}
                spec:
                  selector: {istio: ingressgateway}
                  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
                """;
        String selected = """
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: ingress, namespace: default}
                spec:
                  selector: {matchLabels: {istio: ingressgateway}}
                  tracing: [{providers: [{name: zipkin}], randomSamplingPercentage: 20}]
                  accessLogging: [{providers: [{name: envoy}]}]
                """;
        EnvoyTranslation translation = translate(mesh(gateway, selected));
        ProxyResources edge = translation.of(ProxyId.gateway("default", "edge"));
        HttpConnectionManager hcm = edge.listeners()
                .get("0.0.0.0_80")
                .getFilterChains(0)
                .getFilters(0)
                .getTypedConfig()
                .unpack(HttpConnectionManager.class);
        assertThat(hcm.getTracing().getRandomSampling().getValue()).isEqualTo(20.0);
        assertThat(hcm.getAccessLogList()).hasSize(1);
        assertThat(edge.clusters()).containsKey("outbound|9411||zipkin.istio-system.svc.cluster.local");
        // the selector is the gateway's, not the waypoint's
        assertThat(hcm(translation, REVIEWS).hasTracing()).isFalse();
    }
}
