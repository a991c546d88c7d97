package io.ambientjava.meshctl.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlRun;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code meshctl ztunnel-config} against a /config_dump and /certs recorded from ztunnel-java. */
class ZtunnelConfigRecordedTest {

    RecordedAdminServer admin;

    @BeforeEach
    void start() throws IOException {
        admin = new RecordedAdminServer(Map.of(
                "/config_dump", "ztunnel-config_dump.json",
                "/certs", "ztunnel-certs.json",
                "/not_json", "text:<html>"));
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    private MeshctlRun ztunnelConfig(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "ztunnel-config";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--admin-address";
        all[args.length + 2] = admin.address();
        return MeshctlRun.of(all);
    }

    @Test
    void workloadsTable() {
        MeshctlRun run = ztunnelConfig("workloads");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo("""
                        NAMESPACE   POD NAME   ADDRESS       NODE     WAYPOINT   PROTOCOL
                        default     client-0   198.18.0.10   node-a   None       HBONE
                        default     echo-0     198.18.0.20   node-a   None       HBONE
                        default     echo-1     198.18.0.21   node-a   None       HBONE
                        legacy      db-0       198.18.0.30   node-a   None       TCP
                        """);
        assertThat(ztunnelConfig("workloads", "--workload-namespace", "legacy").out())
                .contains("db-0")
                .doesNotContain("echo-0");
    }

    @Test
    void servicesPoliciesCertificatesConnections() {
        assertThat(ztunnelConfig("services").out()).isEqualTo("""
                        NAMESPACE   SERVICE NAME   SERVICE VIP    WAYPOINT   ENDPOINTS
                        default     echo           /198.19.0.10   None       2/2
                        legacy      db             /198.19.0.20   None       1/1
                        """);
        assertThat(ztunnelConfig("policies").out())
                .contains("POLICY NAME", "allow-client", "ALLOW", "deny-9999", "istio_converted_static_strict");
        assertThat(ztunnelConfig("certificates").out()).isEqualTo("""
                        IDENTITY                                      STATE       SERIAL NUMBER   NOT BEFORE             NOT AFTER              CHAIN
                        spiffe://cluster.local/ns/default/sa/client   available   5f3a9c          2026-11-25T17:00:00Z   2026-11-26T17:00:00Z   2
                        """);
        assertThat(ztunnelConfig("connections").out())
                .contains(
                        "198.18.0.10:40112",
                        "198.18.0.20:8080",
                        "spiffe://cluster.local/ns/default/sa/echo",
                        "mutual_tls");
    }

    @Test
    void jsonAndYamlCarryTheSection() throws IOException {
        MeshctlRun json = ztunnelConfig("workloads", "-o", "json");
        JsonNode workloads = new ObjectMapper().readTree(json.out());
        assertThat(workloads.isArray()).isTrue();
        assertThat(workloads).hasSize(4);
        assertThat(workloads.get(0).path("identity").asText()).isEqualTo("spiffe://cluster.local/ns/default/sa/client");
        assertThat(ztunnelConfig("services", "-o", "yaml").out()).contains("hostname: echo.default.svc.cluster.local");
        MeshctlRun all = ztunnelConfig("all");
        assertThat(new ObjectMapper()
                        .readTree(all.out())
                        .path("config")
                        .path("node")
                        .asText())
                .isEqualTo("node-a");
    }

    @Test
    void wrongEndpointsAreOneLine() {
        MeshctlRun waypointDump = MeshctlRun.of("proxy-config", "routes", "--admin-address", admin.address());
        assertThat(waypointDump.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(waypointDump.errLines())
                .containsExactly("meshctl: /config_dump has no Envoy 'configs' list; is this a waypoint's admin"
                        + " endpoint? (use ztunnel-config for ztunnel)");

        MeshctlRun badAddress = MeshctlRun.of("ztunnel-config", "workloads", "--admin-address", "localhost");
        assertThat(badAddress.errLines()).containsExactly("meshctl: --admin-address 'localhost' is not HOST:PORT");
        MeshctlRun badPort = MeshctlRun.of("ztunnel-config", "workloads", "--admin-address", "127.0.0.1:99999");
        assertThat(badPort.errLines())
                .containsExactly("meshctl: --admin-address '127.0.0.1:99999': port 99999 is not in 1..65535");

        MeshctlRun exclusive =
                MeshctlRun.of("ztunnel-config", "workloads", "--admin-address", admin.address(), "--pod", "ztunnel-x");
        assertThat(exclusive.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(exclusive.errLines()).singleElement().asString().contains("mutually exclusive");
    }

    @Test
    void nothingListeningIsOneLine() throws IOException {
        int port;
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        MeshctlRun run = MeshctlRun.of("ztunnel-config", "workloads", "--admin-address", "127.0.0.1:" + port);
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.errLines())
                .containsExactly(
                        "meshctl: cannot read http://127.0.0.1:" + port
                                + "/config_dump: connection refused (is the proxy running? see --admin-address, --pod, --node)");
    }

    @Test
    void upstreamZtunnelFieldsAreReadToo() throws IOException {
        try (RecordedAdminServer upstream = new RecordedAdminServer(Map.of(
                "/certs",
                "text:{\"certificates\": [{\"identity\": \"spiffe://cluster.local/ns/a/sa/b\", \"state\": \"Available\","
                        + " \"certChain\": [{\"serialNumber\": \"1f\", \"validFrom\": \"2026-01-01T00:00:00Z\","
                        + " \"expirationTime\": \"2026-01-02T00:00:00Z\"}]}]}",
                "/config_dump",
                "text:{\"workloads\": [{\"namespace\": \"a\", \"name\": \"p\", \"workloadIps\": [\"198.18.0.5\"],"
                        + " \"node\": \"n\", \"protocol\": \"HBONE\", \"waypoint\": {\"destination\":"
                        + " \"a/waypoint.a.svc.cluster.local\", \"hboneMtlsPort\": 15008}}]}"))) {
            MeshctlRun certs = MeshctlRun.of("ztunnel-config", "certificates", "--admin-address", upstream.address());
            assertThat(certs.out().lines().skip(1).findFirst().orElseThrow().split(" {3,}"))
                    .containsExactly(
                            "spiffe://cluster.local/ns/a/sa/b",
                            "Available",
                            "1f",
                            "2026-01-01T00:00:00Z",
                            "2026-01-02T00:00:00Z",
                            "1");
            MeshctlRun workloads = MeshctlRun.of("ztunnel-config", "workloads", "--admin-address", upstream.address());
            assertThat(workloads.out()).contains("a/waypoint.a.svc.cluster.local");
        }
    }
}
