package io.ambientjava.perf.mesh;

import static io.ambientjava.perf.mesh.MeshFixtures.enrollment;
import static io.ambientjava.perf.mesh.MeshFixtures.proxy;
import static io.ambientjava.perf.mesh.MeshFixtures.result;
import static io.ambientjava.perf.mesh.MeshFixtures.ztunnel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The redirection modes in the mesh benchmark: choosing them, one column each, the enrollment figures. */
class RedirectModesTest {

    @Test
    void bothMeansNftablesThenEbpf() {
        assertThat(MeshRedirect.parseChoice("both")).containsExactly(MeshRedirect.NFTABLES, MeshRedirect.EBPF);
        assertThat(MeshRedirect.parseChoice(" EBPF ")).containsExactly(MeshRedirect.EBPF);
        assertThat(MeshRedirect.parseChoice("nftables")).containsExactly(MeshRedirect.NFTABLES);
        assertThat(MeshRedirect.parseChoice("ebpf, ebpf-no-fast-path,ebpf"))
                .containsExactly(MeshRedirect.EBPF, MeshRedirect.EBPF_NO_FAST_PATH);
        assertThat(MeshRedirect.EBPF_NO_FAST_PATH.label()).isEqualTo("ebpf-no-fast-path");
        assertThatThrownBy(() -> MeshRedirect.parseChoice("iptables"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'iptables'")
                .hasMessageContaining("nftables, ebpf, ebpf-no-fast-path or both");
    }

    @Test
    void enrollmentPlanBoundsAreNamed() {
        assertThatThrownBy(() -> new EnrollmentPlan(0, 10, Duration.ofSeconds(1)))
                .hasMessageContaining("enroll samples");
        assertThatThrownBy(() -> new EnrollmentPlan(300, 10, Duration.ofSeconds(1)))
                .hasMessageContaining("enroll samples");
        assertThatThrownBy(() -> new EnrollmentPlan(10, 0, Duration.ofSeconds(1)))
                .hasMessageContaining("enroll pods");
        assertThatThrownBy(() -> new EnrollmentPlan(10, 10, Duration.ZERO)).hasMessageContaining("enroll budget");
    }

    @Test
    void enrollmentFiguresComeFromTheRightEnrolls() {
        // 1 ms, 2 ms, ... 20 ms: the first ten's median is 5 ms, the last ten's 15 ms, the last one 20 ms.
        List<Long> scale =
                LongStream.rangeClosed(1, 20).map(ms -> ms * 1_000_000).boxed().toList();
        EnrollmentResult result = enrollment(MeshRedirect.EBPF, 3, scale, 20);

        assertThat(result.scaleReached()).isEqualTo(20);
        assertThat(result.lastEnrollMillis()).isEqualTo(20.0);
        assertThat(result.firstTenMedianMillis()).isEqualTo(5.0);
        assertThat(result.lastTenMedianMillis()).isEqualTo(15.0);
        assertThat(EnrollmentResult.percentileMillis(result.firstByteNanos(), 90))
                .isEqualTo(3.0);
        assertThat(EnrollmentResult.percentileMillis(List.of(), 50)).isNaN();
    }

    @Test
    void eachModeIsAColumnWithItsOwnTargetsAndEnrollmentFigures() {
        MeshReport report = new MeshReport(
                options(List.of(MeshRedirect.NFTABLES, MeshRedirect.EBPF)),
                List.of(
                        result(MeshVariant.DIRECT, 1000, 2000, 200, List.of()),
                        ztunnel(MeshRedirect.NFTABLES, 400, List.of(proxy("z1", 0.05, 60))),
                        ztunnel(MeshRedirect.EBPF, 300, List.of(proxy("z1", 0.04, 60)))),
                List.of(
                        enrollment(MeshRedirect.NFTABLES, 30, List.of(20_000_000L, 25_000_000L), 2),
                        enrollment(MeshRedirect.EBPF, 1, List.of(500_000L, 400_000L), 1000)),
                Instant.parse("2026-01-02T03:04:05Z"),
                2,
                "0.10 0.20 0.30",
                "1.00 0.50 0.40");

        String table = MeshTable.markdown(report);

        assertThat(table)
                .contains("| figure | direct | ztunnel (nftables) | ztunnel (ebpf) |")
                .contains("| latency p50 (ms), 1,000 rps, 16 conns, 1024 B | 0.200 | 0.400 (2.00×) | 0.300 (1.50×) |")
                .contains("added latency at p90 ≤ 0.17 ms over direct [nftables] | +0.200 ms")
                .contains("added latency at p90 ≤ 0.17 ms over direct [ebpf] | +0.100 ms")
                .contains("### Enrolling a pod")
                .contains("| figure | nftables | ebpf |")
                .contains("| 30.000 / 30.000 / 30.000 (2 pods) | 1.000 / 1.000 / 1.000 (2 pods) |")
                .contains("| enroll of the N-th pod, N-1 enrolled (ms) | 25.000 (N = 2) | 0.400 (N = 2 of 1000 asked,"
                        + " budget hit) |");
    }

    @Test
    void lostConnectionsAreFlaggedNextToTheThroughput() {
        MeshVariantResult broken = new MeshVariantResult(
                MeshVariant.ZTUNNEL,
                Optional.of(MeshRedirect.EBPF),
                MeshFixtures.mibPerSecond(1, 100),
                new MeshThroughput(16, 1024 * 1024, 1.0, 3),
                MeshFixtures.latency(300),
                List.of(),
                List.of());
        MeshReport report = new MeshReport(
                options(List.of(MeshRedirect.EBPF)),
                List.of(broken),
                List.of(),
                Instant.parse("2026-01-02T03:04:05Z"),
                2,
                "0 0 0",
                "0 0 0");

        assertThat(MeshTable.markdown(report))
                .contains("| throughput, 16 connections (MiB/s) | 1 [3 of 16 connections open at the end] |")
                .contains("| throughput, 1 connection (MiB/s) | 100 |");
    }

    @Test
    void ztunnelGetsTheModesOptions(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path jar = java.nio.file.Files.createFile(dir.resolve("ztunnel.jar"));
        List<String> command = new ZtunnelLauncher(jar, List.of(), List.of("--inbound-source=POD_ADDRESS"))
                .command("node1", dir.resolve("mesh.yaml"), dir.resolve("ca"), List.of());
        assertThat(command).endsWith("--inbound-source=POD_ADDRESS");
        assertThat(new NodeRedirection.Nftables().ztunnelOptions()).isEmpty();
    }

    private static MeshOptions options(List<MeshRedirect> redirects) {
        return new MeshOptions(
                List.of(MeshVariant.DIRECT, MeshVariant.ZTUNNEL),
                Duration.ofSeconds(3),
                Duration.ofSeconds(10),
                1000,
                16,
                1024,
                16,
                Path.of("ztunnel.jar"),
                List.of("-Xmx48m"),
                "stunnel4",
                false,
                redirects,
                Optional.of(new EnrollmentPlan(2, 1000, Duration.ofSeconds(60))));
    }
}
