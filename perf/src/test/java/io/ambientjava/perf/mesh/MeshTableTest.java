package io.ambientjava.perf.mesh;

import static io.ambientjava.perf.mesh.MeshFixtures.proxy;
import static io.ambientjava.perf.mesh.MeshFixtures.result;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MeshTableTest {

    @Test
    void showsEveryVariantRatiosTargetsAndConditions() {
        MeshOptions options = new MeshOptions(
                List.of(MeshVariant.DIRECT, MeshVariant.ZTUNNEL, MeshVariant.STUNNEL),
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
                List.of(MeshRedirect.NFTABLES),
                Optional.empty());
        MeshReport report = new MeshReport(
                options,
                List.of(
                        result(MeshVariant.DIRECT, 1000, 2000, 200, List.of()),
                        result(
                                MeshVariant.ZTUNNEL,
                                500,
                                1000,
                                400,
                                List.of(proxy("z1", 0.05, 60), proxy("z2", 0.04, 50))),
                        result(MeshVariant.STUNNEL, 250, 500, 300, List.of(proxy("s1", 0.02, 12)))),
                List.of(),
                Instant.parse("2026-01-02T03:04:05Z"),
                2,
                "0.10 0.20 0.30",
                "1.00 0.50 0.40");

        String table = MeshTable.markdown(report);

        assertThat(table)
                .contains("| figure | direct | ztunnel (nftables) | stunnel |")
                .contains("| throughput, 1 connection (MiB/s) | 1000 | 500 (0.50×) | 250 (0.25×) |")
                .contains("| latency p90 (ms), 1,000 rps, 16 conns, 1024 B | 0.200 | 0.400 (2.00×) | 0.300 (1.50×) |")
                .contains("| proxy cores per 1,000 rps (each proxy) | — | 0.050 / 0.040 | 0.020 |")
                .contains("| proxy peak RSS, VmHWM (MiB, each) | — | 60.0 / 50.0 | 12.0 |")
                .contains("added latency at p90 ≤ 0.17 ms over direct | +0.200 ms")
                .contains("**FALLS SHORT**")
                .contains("**PASS**")
                .contains("load average before 0.10 0.20 0.30, after 1.00 0.50 0.40")
                .contains("ztunnel JVM options: `-Xmx48m`")
                .contains("ztunnel: `run z1`");
    }
}
