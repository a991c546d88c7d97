package io.ambientjava.waypoint.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class TelemetryTest {

    @Test
    void requestsAreCountedUnderIstiosNamesAndLogged() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        List<String> lines = new CopyOnWriteArrayList<>();
        RequestObserver log = new AccessLog(lines::add);
        try (TestBed bed = new TestBed(new IstioRequestMetrics(registry).and(log))) {
            TestUpstream up = bed.upstream("v1");
            bed.configure(
                    List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build()));
            bed.cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build(), up);
            for (int i = 0; i < 3; i++) {
                assertThat(bed.get("/ok").statusCode()).isEqualTo(200);
            }
            assertThat(bed.get("/fail?status=503").statusCode()).isEqualTo(503);
        }
        String scrape = registry.scrape();
        assertThat(scrape).contains("# TYPE istio_requests_total counter");
        assertThat(scrape)
                .containsPattern(
                        "istio_requests_total\\{[^}]*destination_service=\"reviews.default.svc.cluster.local\"[^}]*"
                                + "reporter=\"waypoint\"[^}]*response_code=\"200\"[^}]*\\} 3");
        assertThat(scrape).containsPattern("istio_requests_total\\{[^}]*response_code=\"503\"[^}]*\\} 1");
        assertThat(scrape).contains("istio_request_duration_milliseconds_bucket");
        assertThat(scrape).contains("istio_request_bytes_bucket");
        assertThat(scrape).contains("istio_response_bytes_bucket");
        assertThat(scrape).containsPattern("destination_workload=\"pod-\\d+\"");
        assertThat(scrape).contains("destination_workload_namespace=\"default\"");
        assertThat(scrape).contains("destination_service_name=\"reviews\"");
        assertThat(scrape).contains("connection_security_policy=\"none\"");
        assertThat(lines)
                .hasSize(4)
                .allSatisfy(l -> assertThat(l).startsWith("[").endsWith("\n"));
        assertThat(lines.getFirst()).contains("\"GET /ok HTTP/1.1\" 200 - 0 ");
        assertThat(lines.getLast()).contains("\"GET /fail?status=503 HTTP/1.1\" 503 - ");
        assertThat(lines.getLast()).contains(TestBed.DEFAULT_CLUSTER);
    }

    @Test
    void anIngressListenerTakesItsDestinationServiceFromTheCluster() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (TestBed bed = new TestBed(new IstioRequestMetrics(registry))) {
            TestUpstream up = bed.upstream("v1");
            bed.push(Envoy.httpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST).toBuilder()
                    .setName("0.0.0.0_" + TestBed.PORT) // how istiod-lite names an ingress gateway's listener
                    .build());
            bed.push(Envoy.routes(
                    TestBed.HOST + ":" + TestBed.PORT,
                    List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build())));
            bed.cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build(), up);
            assertThat(bed.get("/ok").statusCode()).isEqualTo(200);
        }
        String scrape = registry.scrape();
        assertThat(scrape)
                .containsPattern(
                        "istio_requests_total\\{[^}]*destination_service=\"reviews.default.svc.cluster.local\"")
                .doesNotContain("0.0.0.0_");
    }

    @Test
    void overflowIsFlaggedInLogAndMetrics() {
        var r = new RequestRecord(
                java.time.Instant.EPOCH,
                1,
                "GET",
                "/",
                "h",
                "HTTP/1.1",
                503,
                "UO",
                0,
                10,
                0,
                "-",
                "c",
                java.util.Optional.empty(),
                java.util.Optional.empty(),
                java.util.Optional.empty(),
                "svc.ns.svc.cluster.local",
                java.util.Optional.of("spiffe://cluster.local/ns/shop/sa/web"),
                java.util.Optional.empty(),
                java.util.Optional.empty(),
                java.util.Optional.empty(),
                "id",
                true,
                java.util.List.of());
        assertThat(AccessLog.format(r)).contains(" 503 UO ");
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new IstioRequestMetrics(registry).onRequest(r);
        assertThat(registry.scrape())
                .contains("response_flags=\"UO\"")
                .contains("source_workload_namespace=\"shop\"")
                .contains("connection_security_policy=\"mutual_tls\"");
    }
}
