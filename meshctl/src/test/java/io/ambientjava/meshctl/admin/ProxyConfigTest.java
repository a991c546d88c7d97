package io.ambientjava.meshctl.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ambientjava.meshctl.MeshctlRun;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code meshctl proxy-config} against an Envoy-format /config_dump of a waypoint (the waypoint-xds.md contract). */
class ProxyConfigTest {

    RecordedAdminServer admin;

    @BeforeEach
    void start() throws IOException {
        admin = new RecordedAdminServer(Map.of("/config_dump", "waypoint-config_dump.json"));
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    private MeshctlRun proxyConfig(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "proxy-config";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--admin-address";
        all[args.length + 2] = admin.address();
        return MeshctlRun.of(all);
    }

    @Test
    void listeners() {
        MeshctlRun run = proxyConfig("listeners");
        assertThat(run.exit()).as(run.err()).isZero();
        java.util.List<String> lines = run.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0).split(" {3,}")).containsExactly("NAME", "ADDRESS", "PORT", "DESTINATION");
        assertThat(lines.get(1).split(" {3,}"))
                .containsExactly(
                        "inbound-vip|9080|http|reviews.default.svc.cluster.local",
                        "198.19.0.30",
                        "9080",
                        "Route: reviews.default.svc.cluster.local:9080");
        assertThat(lines.get(2).split(" {3,}"))
                .containsExactly(
                        "inbound-vip|3306|tcp|mysql.default.svc.cluster.local",
                        "198.19.0.31",
                        "3306",
                        "Cluster: outbound|3306||mysql.default.svc.cluster.local");
        assertThat(lines.get(1).indexOf("198.19.0.30")).isEqualTo(lines.get(2).indexOf("198.19.0.31"));
    }

    @Test
    void routesShowWeights() {
        MeshctlRun run = proxyConfig("routes");
        assertThat(run.exit()).isZero();
        assertThat(run.out())
                .contains(
                        "reviews.default.svc.cluster.local:9080",
                        "*",
                        "/*",
                        "outbound|9080|v1|reviews.default.svc.cluster.local 75%, outbound|9080|v2|reviews.default.svc.cluster.local 25%");
    }

    @Test
    void clustersSplitTheirNames() {
        MeshctlRun run = proxyConfig("clusters");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).isEqualTo("""
                        SERVICE FQDN                        PORT   SUBSET   DIRECTION   TYPE   LB POLICY
                        reviews.default.svc.cluster.local   9080   v1       outbound    EDS    ROUND_ROBIN
                        reviews.default.svc.cluster.local   9080   v2       outbound    EDS    LEAST_REQUEST
                        mysql.default.svc.cluster.local     3306   -        outbound    EDS    ROUND_ROBIN
                        """);
    }

    @Test
    void jsonByName() throws IOException {
        MeshctlRun run =
                proxyConfig("clusters", "--name", "outbound|9080|v2|reviews.default.svc.cluster.local", "-o", "json");
        JsonNode clusters = new ObjectMapper().readTree(run.out());
        assertThat(clusters).hasSize(1);
        assertThat(clusters.get(0).path("lb_policy").asText()).isEqualTo("LEAST_REQUEST");
    }

    @Test
    void camelCaseDumpsReadTheSame() throws IOException {
        JsonNode dump = new ObjectMapper().readTree("""
                        {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
                          "dynamicListeners": [{"activeState": {"listener": {"name": "l1",
                            "address": {"socketAddress": {"address": "198.19.0.1", "portValue": 80}}}}}]}]}
                        """);
        EnvoyConfigDump parsed = new EnvoyConfigDump(dump);
        assertThat(parsed.listeners()).hasSize(1);
        assertThat(parsed.clusters()).isEmpty();
        assertThat(EnvoyConfigDump.camel("dynamic_active_clusters")).isEqualTo("dynamicActiveClusters");
    }
}
