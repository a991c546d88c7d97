package io.ambientjava.perf.l7;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class L7ModelTest {

    private static final String WRK_OUTPUT = """
            Running 2s test @ http://198.19.0.10/
              1 threads and 16 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency     5.31ms    2.10ms  30.00ms   80.00%
                Req/Sec     3.01k   120.00     3.20k    70.00%
              6013 requests in 2.00s, 7.13MB read
              Socket errors: connect 0, read 2, write 0, timeout 1
              Non-2xx or 3xx responses: 4
            Requests/sec:   3006.41
            Transfer/sec:      3.56MB
            """;

    @Test
    void wrkOutputGivesRateRequestsAndErrors() {
        WrkRun run = WrkRun.parse(WRK_OUTPUT);
        assertThat(run.requestsPerSecond()).isEqualTo(3006.41);
        assertThat(run.requests()).isEqualTo(6013);
        assertThat(run.errors()).isEqualTo(7);
    }

    @Test
    void wrkOutputWithoutARateIsRefusedWithTheOutput() {
        assertThatThrownBy(() -> WrkRun.parse("unable to connect to 198.19.0.10:80 Connection refused"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no Requests/sec")
                .hasMessageContaining("Connection refused");
    }

    @Test
    void variantsParseByKeyAndUnknownOnesNameTheChoices() {
        assertThat(L7Variant.parse(" Waypoint ")).isEqualTo(L7Variant.WAYPOINT);
        assertThat(L7Variant.parse("l4")).isEqualTo(L7Variant.L4);
        assertThatThrownBy(() -> L7Variant.parse("envoy"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'envoy'")
                .hasMessageContaining("l4, waypoint, nginx, nginx-mtls");
    }

    @Test
    void meshConfigBindsOnlyTheEchoServiceToTheWaypoint() throws Exception {
        String yaml = L7MeshConfig.yaml(
                java.net.InetAddress.ofLiteral("198.18.1.2"),
                "node1",
                java.net.InetAddress.ofLiteral("198.18.2.2"),
                "node2",
                java.net.InetAddress.ofLiteral("198.18.1.3"),
                "node1");
        assertThat(yaml)
                .contains("labels: {istio.io/use-waypoint: waypoint}")
                .contains("gatewayClassName: istio-waypoint")
                .contains("clusterIP: " + L7MeshConfig.ECHO_L4_VIP)
                .contains("podIP: 198.18.2.2")
                .contains("hosts: [" + L7MeshConfig.ECHO_HOST + "]");
        assertThat(yaml.split("istio.io/use-waypoint", -1)).hasSize(2);
    }

    @Test
    void nginxConfigHasBothRoutesAndLogsEachRequestAsTheWaypointDoes() {
        String conf =
                L7MeshConfig.nginx(java.nio.file.Path.of("/tmp/nginx-x"), java.net.InetAddress.ofLiteral("198.18.2.3"));

        assertThat(conf)
                .contains("listen " + L7MeshConfig.NGINX_PORT + " ssl;")
                .contains("listen " + L7MeshConfig.NGINX_MTLS_PORT + " ssl;")
                .contains("upstream echo { server 198.18.2.3:" + L7MeshConfig.TARGET_PORT + "; keepalive 64; }")
                .contains("upstream echo_tls { server 198.18.2.3:" + L7MeshConfig.TLS_TARGET_PORT + "; keepalive 64; }")
                .contains("proxy_pass https://echo_tls;")
                .contains("proxy_ssl_certificate /tmp/nginx-x/upstream-client-cert.pem;")
                .contains("access_log /tmp/nginx-x/access.log combined buffer=64k flush=100ms;");
    }
}
