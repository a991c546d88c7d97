package io.ambientjava.ztunnel.telemetry.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.ztunnel.admin.HttpTestClient;
import io.ambientjava.ztunnel.admin.MetricsApi;
import io.ambientjava.ztunnel.admin.SmallHttpServer;
import io.ambientjava.ztunnel.state.policy.AuthorizationDecision;
import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import io.ambientjava.ztunnel.telemetry.Connections;
import io.ambientjava.ztunnel.telemetry.Reporter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Istio's TCP metrics as a Prometheus server scrapes them over HTTP. */
class IstioTcpMetricsTest {

    private static final String CLIENT_TO_ECHO_LABELS = "connection_security_policy=\"mutual_tls\","
            + "destination_app=\"echo\",destination_canonical_revision=\"v2\",destination_canonical_service=\"echo\","
            + "destination_cluster=\"Kubernetes\","
            + "destination_principal=\"spiffe://cluster.local/ns/default/sa/echo\","
            + "destination_service=\"echo.default.svc.cluster.local\",destination_service_name=\"echo\","
            + "destination_service_namespace=\"default\",destination_version=\"v2\",destination_workload=\"echo\","
            + "destination_workload_namespace=\"default\",reporter=\"%s\",request_protocol=\"tcp\","
            + "response_flags=\"%s\",source_app=\"client\",source_canonical_revision=\"v1\","
            + "source_canonical_service=\"client\",source_cluster=\"Kubernetes\","
            + "source_principal=\"spiffe://cluster.local/ns/default/sa/client\",source_version=\"v1\","
            + "source_workload=\"client\",source_workload_namespace=\"default\"";

    private EventLoopGroup group;
    private PrometheusMeterRegistry registry;
    private IstioTcpMetrics metrics;
    private SmallHttpServer server;

    @BeforeEach
    void start() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics = new IstioTcpMetrics(registry);
        server = SmallHttpServer.start(
                "metrics",
                new InetSocketAddress("127.0.0.1", 0),
                group,
                NioServerSocketChannel.class,
                new MetricsApi(registry, () -> {}).routes());
    }

    @AfterEach
    void stop() {
        server.close();
        registry.close();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private List<String> scrape(String path) {
        HttpResponse<String> response = HttpTestClient.get(server.address(), path);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        return response.body().lines().toList();
    }

    private static String line(String metric, Reporter reporter, String flags, String value) {
        return metric + "{" + CLIENT_TO_ECHO_LABELS.formatted(reporter.label(), flags) + "} " + value;
    }

    @Test
    void opensClosesAndBytesWithIstiosNamesAndLabels() {
        ConnectionInfo first = Connections.clientToEcho(Reporter.DESTINATION);
        ConnectionInfo second = Connections.clientToEcho(Reporter.DESTINATION);
        metrics.opened(first);
        metrics.opened(second);
        // 100 bytes from the client towards the server, 2000 back
        metrics.closed(first, 100, 2000, Optional.empty());

        List<String> lines = scrape("/stats/prometheus");

        Reporter d = Reporter.DESTINATION;
        assertThat(lines)
                .contains(
                        "# TYPE istio_tcp_connections_opened_total counter",
                        line("istio_tcp_connections_opened_total", d, "-", "2.0"),
                        "# TYPE istio_tcp_connections_closed_total counter",
                        line("istio_tcp_connections_closed_total", d, "-", "1.0"),
                        "# TYPE istio_tcp_received_bytes_total counter",
                        line("istio_tcp_received_bytes_total", d, "-", "100.0"),
                        "# TYPE istio_tcp_sent_bytes_total counter",
                        line("istio_tcp_sent_bytes_total", d, "-", "2000.0"),
                        "ztunnel_connections_active{reporter=\"destination\"} 1.0",
                        "ztunnel_connections_active{reporter=\"source\"} 0.0");
        assertThat(String.join("\n", lines)).doesNotContain("_total_total").doesNotContain("reporter=\"source\",");
    }

    @Test
    void sourceAndDestinationReportersAreSeparateSeriesAndAccumulate() {
        for (int i = 0; i < 3; i++) {
            ConnectionInfo c = Connections.clientToEcho(Reporter.SOURCE);
            metrics.opened(c);
            metrics.closed(c, 10, 20, Optional.of("connection reset"));
        }
        ConnectionInfo inbound = Connections.clientToEcho(Reporter.DESTINATION);
        metrics.opened(inbound);

        List<String> lines = scrape("/metrics");

        Reporter s = Reporter.SOURCE;
        assertThat(lines)
                .contains(
                        line("istio_tcp_connections_opened_total", s, "-", "3.0"),
                        line("istio_tcp_connections_closed_total", s, "-", "3.0"),
                        line("istio_tcp_received_bytes_total", s, "-", "30.0"),
                        line("istio_tcp_sent_bytes_total", s, "-", "60.0"),
                        line("istio_tcp_connections_opened_total", Reporter.DESTINATION, "-", "1.0"));
        assertThat(metrics.activeConnections(Reporter.SOURCE)).isZero();
        assertThat(metrics.activeConnections(Reporter.DESTINATION)).isOne();
    }

    @Test
    void missingFactsAreUnknownAndPlaintextIsNone() {
        ConnectionInfo c = Connections.unknownPlaintext(Reporter.DESTINATION);
        metrics.opened(c);

        assertThat(scrape("/stats/prometheus"))
                .contains("istio_tcp_connections_opened_total{connection_security_policy=\"none\","
                        + "destination_app=\"unknown\",destination_canonical_revision=\"unknown\","
                        + "destination_canonical_service=\"unknown\",destination_cluster=\"unknown\","
                        + "destination_principal=\"unknown\",destination_service=\"unknown\","
                        + "destination_service_name=\"unknown\",destination_service_namespace=\"unknown\","
                        + "destination_version=\"unknown\",destination_workload=\"unknown\","
                        + "destination_workload_namespace=\"unknown\",reporter=\"destination\","
                        + "request_protocol=\"tcp\",response_flags=\"-\",source_app=\"unknown\","
                        + "source_canonical_revision=\"unknown\",source_canonical_service=\"unknown\","
                        + "source_cluster=\"unknown\",source_principal=\"unknown\",source_version=\"unknown\","
                        + "source_workload=\"unknown\",source_workload_namespace=\"unknown\"} 1.0");
    }

    @Test
    void refusalsCountAsOpenedAndClosedWithResponseFlags() {
        metrics.refused(Connections.clientToEcho(Reporter.DESTINATION), "denied by policy default/deny-all");
        metrics.refused(Connections.clientToEcho(Reporter.DESTINATION), "connect to 198.18.1.3:8080 refused");

        Reporter d = Reporter.DESTINATION;
        assertThat(scrape("/stats/prometheus"))
                .contains(
                        line("istio_tcp_connections_opened_total", d, "-", "2.0"),
                        line("istio_tcp_connections_closed_total", d, "DENY", "1.0"),
                        line("istio_tcp_connections_closed_total", d, "CONNECT", "1.0"));
        assertThat(metrics.activeConnections(d)).isZero();
    }

    @Test
    void openMetricsWhenTheScraperAsksForIt() throws Exception {
        metrics.opened(Connections.clientToEcho(Reporter.SOURCE));
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        "http://127.0.0.1:" + server.address().getPort() + "/stats/prometheus"))
                .header("Accept", "application/openmetrics-text; version=1.0.0,text/plain;q=0.5")
                .build();
        HttpResponse<String> response =
                java.net.http.HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.headers().firstValue("content-type"))
                .hasValue("application/openmetrics-text; version=1.0.0; charset=utf-8");
        assertThat(response.body())
                .contains("# TYPE istio_tcp_connections_opened counter")
                .contains("istio_tcp_connections_opened_total{")
                .endsWith("# EOF\n");
    }

    @Test
    void responseFlagsForRefusalReasons() {
        assertThat(ResponseFlags.forRefusal(AuthorizationDecision.DENIED_BY_POLICY + "default/deny-all"))
                .isEqualTo(ResponseFlags.DENY);
        assertThat(ResponseFlags.forRefusal(AuthorizationDecision.NO_ALLOW_MATCHED))
                .isEqualTo(ResponseFlags.DENY);
        assertThat(ResponseFlags.forRefusal("connecting to the app at 198.18.1.3:8080 failed: Connection refused"))
                .isEqualTo(ResponseFlags.CONNECT);
        assertThat(ResponseFlags.forRefusal("RBAC: access denied")).isEqualTo(ResponseFlags.DENY);
        assertThat(ResponseFlags.forRefusal("policy default/deny-all")).isEqualTo(ResponseFlags.DENY);
        assertThat(ResponseFlags.forRefusal("upstream connect timeout")).isEqualTo(ResponseFlags.CONNECT);
        assertThat(ResponseFlags.forRefusal(null)).isEqualTo(ResponseFlags.CONNECT);
    }
}
