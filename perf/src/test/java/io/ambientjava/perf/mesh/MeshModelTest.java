package io.ambientjava.perf.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The small value types: variants, options, per-proxy arithmetic, throughput units. */
class MeshModelTest {

    @Test
    void variantsParseInAnyCaseAndNameTheChoicesOtherwise() {
        assertThat(MeshVariant.parse(" ZTunnel ")).isEqualTo(MeshVariant.ZTUNNEL);
        assertThat(MeshVariant.STUNNEL.label()).isEqualTo("stunnel");
        assertThatThrownBy(() -> MeshVariant.parse("envoy"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'envoy'")
                .hasMessageContaining("direct, ztunnel, stunnel");
    }

    @Test
    void proxyFiguresScaleCpuToAThousandRequests() {
        ProxyFigures figures = new ProxyFigures("z", 0.5, 10, 10_000, 1, 2);
        assertThat(figures.cpuSecondsPerThousandRequests()).isEqualTo(0.05);
        assertThat(figures.coresPerThousandRps()).isCloseTo(0.05, org.assertj.core.data.Offset.offset(1e-12));
        ProxyFigures atTwoThousand = new ProxyFigures("z", 1.0, 10, 20_000, 1, 2);
        assertThat(atTwoThousand.coresPerThousandRps()).isCloseTo(0.05, org.assertj.core.data.Offset.offset(1e-12));
        assertThatThrownBy(() -> new ProxyFigures("z", 1, 0, 10, 1, 1))
                .hasMessageContaining("z: window and request count must be positive");
    }

    @Test
    void throughputInMibAndGbit() {
        MeshThroughput t = new MeshThroughput(1, 2L * 1024 * 1024 * 1024, 2.0, 1);
        assertThat(t.mibPerSecond()).isEqualTo(1024.0);
        assertThat(t.gbitPerSecond()).isCloseTo(8.59, org.assertj.core.data.Offset.offset(0.01));
        assertThatThrownBy(() -> new MeshThroughput(1, 1, 0, 1)).hasMessageContaining("must be positive");
    }

    @Test
    void optionsRejectEmptyRepeatedAndNonPositiveSettings() {
        assertThatThrownBy(() -> options(List.of(), Duration.ofSeconds(1), 1000))
                .hasMessageContaining("at least one variant");
        assertThatThrownBy(() -> options(List.of(MeshVariant.DIRECT, MeshVariant.DIRECT), Duration.ofSeconds(1), 1000))
                .hasMessageContaining("must not repeat");
        assertThatThrownBy(() -> options(List.of(MeshVariant.DIRECT), Duration.ZERO, 1000))
                .hasMessageContaining("duration must be positive");
        assertThatThrownBy(() -> options(List.of(MeshVariant.DIRECT), Duration.ofSeconds(1), 0))
                .hasMessageContaining("rate=0");
    }

    @Test
    void localConfigListsEachPodAsAnHboneWorkloadOnItsNode() throws Exception {
        String yaml = LocalMeshConfig.yaml(List.of(
                new LocalMeshConfig.MeshWorkload("client", InetAddress.getByName("198.18.1.2"), "node1"),
                new LocalMeshConfig.MeshWorkload("server", InetAddress.getByName("198.18.2.2"), "node2")));
        assertThat(yaml)
                .startsWith("workloads:\n- uid: Kubernetes//Pod/default/client\n")
                .contains("  workloadIps: [\"198.18.1.2\"]\n  protocol: HBONE\n  node: node1\n")
                .contains("- uid: Kubernetes//Pod/default/server\n")
                .contains("  serviceAccount: server\n")
                .contains("  node: node2\n");
        assertThatThrownBy(() -> new LocalMeshConfig.MeshWorkload("Bad_Name", InetAddress.getLoopbackAddress(), "n"))
                .hasMessageContaining("'Bad_Name'");
        assertThatThrownBy(() -> LocalMeshConfig.yaml(List.of())).hasMessageContaining("at least one workload");
    }

    @Test
    void stunnelConfigIsMutualTls13BothWays() {
        StunnelConfig client = new StunnelConfig(
                true,
                new InetSocketAddress("127.0.0.1", 15101),
                new InetSocketAddress("198.18.2.2", 15102),
                Path.of("/d/client-cert.pem"),
                Path.of("/d/client-key.pem"),
                Path.of("/d/root-cert.pem"));
        assertThat(client.text())
                .contains("foreground = yes\n")
                .contains("client = yes\n")
                .contains("accept = 127.0.0.1:15101\n")
                .contains("connect = 198.18.2.2:15102\n")
                .contains("cert = /d/client-cert.pem\n")
                .contains("CAfile = /d/root-cert.pem\n")
                .contains("verifyChain = yes\n")
                .contains("sslVersionMin = TLSv1.3\n");
        assertThatThrownBy(() -> new StunnelConfig(false, null, null, null, null, null))
                .hasMessageContaining("needs accept, connect");
    }

    private static MeshOptions options(List<MeshVariant> variants, Duration duration, int rate) {
        return new MeshOptions(
                variants,
                Duration.ZERO,
                duration,
                rate,
                16,
                1024,
                16,
                Path.of("z.jar"),
                List.of(),
                "stunnel4",
                false,
                List.of(MeshRedirect.NFTABLES),
                Optional.empty());
    }
}
