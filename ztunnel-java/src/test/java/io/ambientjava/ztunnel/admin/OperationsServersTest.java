package io.ambientjava.ztunnel.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.ztunnel.state.StateUpdate;
import io.ambientjava.ztunnel.state.TestData;
import io.ambientjava.ztunnel.status.ActiveConnection;
import io.ambientjava.ztunnel.status.BuildInfo;
import io.ambientjava.ztunnel.status.CertificateStatus;
import io.ambientjava.ztunnel.status.PodStatus;
import io.ambientjava.ztunnel.status.Readiness;
import io.ambientjava.ztunnel.telemetry.Connections;
import io.ambientjava.ztunnel.telemetry.Reporter;
import io.ambientjava.ztunnel.telemetry.metrics.ZtunnelGauges;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The three operations servers over real HTTP. */
class OperationsServersTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final InetSocketAddress ANY_LOCAL = new InetSocketAddress("127.0.0.1", 0);
    private static MeshCertificateAuthority ca;
    private static WorkloadCertificate clientCertificate;

    private EventLoopGroup group;
    private FakeStatus status;
    private PrometheusMeterRegistry registry;
    private CountDownLatch quit;
    private LogLevels logLevels;
    private OperationsServers servers;

    @BeforeAll
    static void issueCertificate() {
        ca = MeshCertificateAuthority.createSelfSigned("cluster.local");
        clientCertificate = ca.issue(Connections.CLIENT_ID, Duration.ofHours(1));
    }

    @AfterAll
    static void forget() {
        ca = null;
        clientCertificate = null;
    }

    @BeforeEach
    void start() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        status = new FakeStatus();
        status.store.apply(StateUpdate.builder()
                .upsert(Connections.CLIENT)
                .upsert(Connections.ECHO)
                .upsert(Connections.ECHO_SERVICE)
                .upsert(TestData.strictMtls())
                .build());
        status.certificates.add(
                CertificateStatus.available(clientCertificate.identity().toString(), clientCertificate.chain()));
        status.certificates.add(
                CertificateStatus.unavailable("spiffe://cluster.local/ns/default/sa/echo", "CA unreachable"));
        status.pods.add(new PodStatus("pod-a-uid", "/var/run/netns/pod-a", "running"));
        status.connections.add(new ActiveConnection(Connections.clientToEcho(Reporter.SOURCE), "pod-a-uid", 5, 7));
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ZtunnelGauges gauges = new ZtunnelGauges(registry, status, new BuildInfo("ztunnel", "1.2.3"));
        quit = new CountDownLatch(1);
        logLevels = new LogLevels();
        ReadinessApi readiness = new ReadinessApi(status);
        ConfigDump dump = new ConfigDump(status, new BuildInfo("ztunnel", "1.2.3"), Map.of("adminPort", 15000));
        servers = OperationsServers.start(
                new OperationsServers.Addresses(ANY_LOCAL, ANY_LOCAL, ANY_LOCAL),
                new OperationsServers.Routes(
                        AdminApi.routes(dump, logLevels, readiness, quit::countDown),
                        new MetricsApi(registry, gauges::refresh).routes(),
                        readiness.routes()),
                group,
                NioServerSocketChannel.class);
    }

    @AfterEach
    void stop() {
        logLevels.apply(Map.of("reset", List.of("")));
        servers.close();
        registry.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void configDumpShowsStateCertificatesPodsAndConnections() throws Exception {
        HttpResponse<String> response = HttpTestClient.get(servers.adminAddress(), "/config_dump");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode dump = JSON.readTree(response.body());
        assertThat(dump.path("version").path("version").asText()).isEqualTo("1.2.3");
        assertThat(dump.path("config").path("node").asText()).isEqualTo("node1");
        assertThat(dump.path("config").path("trustDomain").asText()).isEqualTo("cluster.local");
        assertThat(dump.path("config").path("adminPort").asInt()).isEqualTo(15000);
        assertThat(dump.path("readiness").path("ready").asBoolean()).isFalse();
        assertThat(dump.path("readiness").path("reason").asText()).isEqualTo("starting");

        JsonNode workloads = dump.path("workloads");
        assertThat(workloads).hasSize(2);
        JsonNode client = workloads.get(0);
        assertThat(client.path("uid").asText()).isEqualTo("Kubernetes//Pod/default/client-7d4b9");
        assertThat(client.path("workloadIps").get(0).asText()).isEqualTo("198.18.1.2");
        assertThat(client.path("identity").asText()).isEqualTo("spiffe://cluster.local/ns/default/sa/client");
        assertThat(client.path("protocol").asText()).isEqualTo("HBONE");
        assertThat(workloads
                        .get(1)
                        .path("services")
                        .path("default/echo.default.svc.cluster.local")
                        .path("80")
                        .asInt())
                .isEqualTo(8080);

        JsonNode service = dump.path("services").get(0);
        assertThat(service.path("hostname").asText()).isEqualTo("echo.default.svc.cluster.local");
        assertThat(service.path("vips").get(0).asText()).isEqualTo("/198.19.0.10");
        assertThat(service.path("ports").path("80").asInt()).isEqualTo(8080);
        assertThat(service.path("endpoints").get(0).path("workloadUid").asText())
                .isEqualTo("Kubernetes//Pod/default/echo-5f6c8");

        JsonNode policy = dump.path("policies").get(0);
        assertThat(policy.path("name").asText()).isEqualTo("istio_converted_static_strict");
        assertThat(policy.path("action").asText()).isEqualTo("DENY");
        assertThat(policy.path("rules")
                        .get(0)
                        .get(0)
                        .get(0)
                        .path("notPrincipals")
                        .get(0)
                        .has("presence"))
                .isTrue();

        JsonNode certificates = dump.path("certificates");
        assertThat(certificates).hasSize(2);
        JsonNode available = certificates.get(0);
        assertThat(available.path("identity").asText()).isEqualTo("spiffe://cluster.local/ns/default/sa/client");
        assertThat(available.path("state").asText()).isEqualTo("Available");
        assertThat(available.path("serialNumber").asText())
                .isEqualTo(clientCertificate.leaf().getSerialNumber().toString(16));
        assertThat(available.path("expirationTime").asText())
                .isEqualTo(clientCertificate.notAfter().toString());
        assertThat(available.path("certChain")).hasSize(2);
        assertThat(available.path("certChain").get(1).path("subject").asText()).contains("CN=ambient-java root CA");
        JsonNode unavailable = certificates.get(1);
        assertThat(unavailable.path("state").asText()).isEqualTo("Unavailable");
        assertThat(unavailable.path("error").asText()).isEqualTo("CA unreachable");

        assertThat(dump.path("pods").get(0).path("netns").asText()).isEqualTo("/var/run/netns/pod-a");
        JsonNode connection = dump.path("connections").get(0);
        assertThat(connection.path("reporter").asText()).isEqualTo("source");
        assertThat(connection.path("source").asText()).isEqualTo("198.18.1.2:40312");
        assertThat(connection.path("destinationService").asText()).isEqualTo("default/echo.default.svc.cluster.local");
        assertThat(connection.path("securityPolicy").asText()).isEqualTo("mutual_tls");
        assertThat(connection.path("pod").asText()).isEqualTo("pod-a-uid");
        assertThat(connection.path("sentBytes").asLong()).isEqualTo(5);
        assertThat(connection.path("receivedBytes").asLong()).isEqualTo(7);

        assertThat(response.body()).doesNotContainIgnoringCase("private").doesNotContain("BEGIN");
    }

    @Test
    void certsPageListsOnlyCertificates() throws Exception {
        JsonNode certs = JSON.readTree(
                HttpTestClient.get(servers.adminAddress(), "/certs").body());
        assertThat(certs.fieldNames()).toIterable().containsExactly("certificates");
        assertThat(certs.path("certificates")).hasSize(2);
    }

    @Test
    void loggingListsAndChangesLevels() {
        Logger access = (Logger) LoggerFactory.getLogger("access");
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);

        HttpResponse<String> listed = HttpTestClient.get(servers.adminAddress(), "/logging");
        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(listed.body()).startsWith("root: info\n").contains("io.netty: warn\n");

        HttpResponse<String> changed = HttpTestClient.post(servers.adminAddress(), "/logging?access=debug");
        assertThat(changed.statusCode()).isEqualTo(200);
        assertThat(changed.body()).contains("access: debug\n");
        assertThat(access.getLevel()).isEqualTo(Level.DEBUG);

        HttpTestClient.post(servers.adminAddress(), "/logging?level=trace");
        assertThat(root.getLevel()).isEqualTo(Level.TRACE);

        HttpTestClient.post(servers.adminAddress(), "/logging?level=access:error,io.ambientjava.ztunnel.proxy:warn");
        assertThat(access.getLevel()).isEqualTo(Level.ERROR);
        assertThat(((Logger) LoggerFactory.getLogger("io.ambientjava.ztunnel.proxy")).getLevel())
                .isEqualTo(Level.WARN);

        HttpResponse<String> reset = HttpTestClient.post(servers.adminAddress(), "/logging?reset");
        assertThat(reset.statusCode()).isEqualTo(200);
        assertThat(root.getLevel()).isEqualTo(Level.INFO);
        assertThat(access.getLevel()).isNull();
    }

    @Test
    void badLoggingRequestsChangeNothingAndSayWhy() {
        HttpResponse<String> badLevel = HttpTestClient.post(servers.adminAddress(), "/logging?access=loud");
        assertThat(badLevel.statusCode()).isEqualTo(400);
        assertThat(badLevel.body())
                .startsWith("invalid level 'loud' for logger access")
                .contains("usage:");

        HttpResponse<String> mixed = HttpTestClient.post(servers.adminAddress(), "/logging?access=debug&level=nope");
        assertThat(mixed.statusCode()).isEqualTo(400);
        assertThat(((Logger) LoggerFactory.getLogger("access")).getLevel()).isNull();

        HttpResponse<String> viaGet = HttpTestClient.get(servers.adminAddress(), "/logging?level=debug");
        assertThat(viaGet.statusCode()).isEqualTo(405);
        assertThat(viaGet.body()).startsWith("changing log levels needs POST");
    }

    @Test
    void quitquitquitNeedsPostAndStartsTheShutdown() throws Exception {
        HttpResponse<String> get = HttpTestClient.get(servers.adminAddress(), "/quitquitquit");
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("allow")).hasValue("POST");
        assertThat(quit.getCount()).isOne();

        HttpResponse<String> post = HttpTestClient.post(servers.adminAddress(), "/quitquitquit");
        assertThat(post.statusCode()).isEqualTo(200);
        assertThat(post.body()).isEqualTo("shutting down\n");
        assertThat(quit.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void readinessFollowsTheRuntime() {
        HttpResponse<String> notReady = HttpTestClient.get(servers.readinessAddress(), "/healthz/ready");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).isEqualTo("not ready: starting\n");

        status.readiness = Readiness.READY;
        HttpResponse<String> ready = HttpTestClient.get(servers.readinessAddress(), "/healthz/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");
        assertThat(HttpTestClient.get(servers.adminAddress(), "/healthz/ready").statusCode())
                .isEqualTo(200);
    }

    @Test
    void unknownPathsAre404AndWrongMethods405() {
        HttpResponse<String> missing = HttpTestClient.get(servers.metricsAddress(), "/nope");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).startsWith("no such path on the metrics server: /nope; try one of [/metrics, ");

        HttpResponse<String> wrong = HttpTestClient.post(servers.adminAddress(), "/config_dump");
        assertThat(wrong.statusCode()).isEqualTo(405);
        assertThat(wrong.headers().firstValue("allow")).hasValue("GET");
        assertThat(wrong.body()).isEqualTo("POST is not allowed on /config_dump; use GET\n");

        assertThat(HttpTestClient.send(servers.readinessAddress(), "DELETE", "/healthz/ready")
                        .statusCode())
                .isEqualTo(405);
        assertThat(HttpTestClient.get(servers.readinessAddress(), "/config_dump")
                        .statusCode())
                .isEqualTo(404);
    }

    @Test
    void healthGaugesAreScraped() {
        String scrape = HttpTestClient.get(servers.metricsAddress(), "/stats/prometheus")
                .body();

        assertThat(scrape.lines())
                .contains(
                        "istio_build{component=\"ztunnel\",tag=\"1.2.3\"} 1.0",
                        "ztunnel_workloads 2.0",
                        "ztunnel_services 1.0",
                        "ztunnel_policies 1.0",
                        "ztunnel_pods 1.0",
                        "ztunnel_certificates{state=\"Available\"} 1.0",
                        "ztunnel_certificates{state=\"Unavailable\"} 1.0",
                        "ztunnel_certificates{state=\"Initializing\"} 0.0",
                        "ztunnel_certificate_expiration_timestamp_seconds"
                                + "{identity=\"spiffe://cluster.local/ns/default/sa/client\"} "
                                + (double) clientCertificate.notAfter().getEpochSecond());

        status.certificates.clear();
        String later = HttpTestClient.get(servers.metricsAddress(), "/metrics").body();
        assertThat(later)
                .doesNotContain("ztunnel_certificate_expiration_timestamp_seconds{")
                .contains("ztunnel_certificates{state=\"Available\"} 0.0");
    }

    @Test
    void aTakenPortIsReportedWithItsAddressAndNothingStaysBound() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            InetSocketAddress busy = new InetSocketAddress("127.0.0.1", taken.getLocalPort());
            HttpRoutes routes = new HttpRoutes("x");
            assertThatThrownBy(() -> OperationsServers.start(
                            new OperationsServers.Addresses(ANY_LOCAL, ANY_LOCAL, busy),
                            new OperationsServers.Routes(routes, routes, routes),
                            group,
                            NioServerSocketChannel.class))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageStartingWith("cannot bind the readiness server to 127.0.0.1:" + taken.getLocalPort());
        }
    }

    @Test
    void describesBoundAddresses() {
        assertThat(servers.describe())
                .matches("admin=127\\.0\\.0\\.1:\\d+ metrics=127\\.0\\.0\\.1:\\d+ readiness=127\\.0\\.0\\.1:\\d+");
    }
}
