package io.ambientjava.perf.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The whole mesh benchmark with tiny durations: two-node topology, real ztunnel processes in both redirection
 * modes (ebpf on a cgroup and pin root of the benchmark's own), stunnel, enrollment figures, the table.
 * Asserts the shape of the report only; figures from such short runs mean nothing.
 */
@RequiresRoot
@RequiresCommand({"ip", "nft", "stunnel4"})
class MeshBenchmarkSmokeTest {

    @Test
    @Timeout(180)
    void quickRunProducesATableForEveryVariantAndRedirectionMode(@TempDir Path dir) throws Exception {
        Path jar = ZtunnelLauncher.locateJar(
                List.of(Path.of("ztunnel-java/target/ztunnel.jar"), Path.of("../ztunnel-java/target/ztunnel.jar")));
        assumeTrue(Files.isRegularFile(jar), "ztunnel.jar not built (./mvnw -B -q -pl ztunnel-java install)");
        Path out = dir.resolve("mesh.md");

        int exit = new CommandLine(new MeshCommand())
                .execute(
                        "--quick",
                        "--warmup",
                        "100ms",
                        "--duration",
                        "400ms",
                        "--streams",
                        "4",
                        "--redirect",
                        "both",
                        "--enroll-samples",
                        "3",
                        "--enroll-pods",
                        "20",
                        "--ztunnel-jar",
                        jar.toString(),
                        "--out",
                        out.toString());

        assertThat(exit).isZero();
        assertThat(Files.readString(out))
                .contains("| figure | direct | ztunnel (nftables) | ztunnel (ebpf) | stunnel |")
                .contains("| figure | nftables | ebpf |")
                .contains("enroll of the N-th pod, N-1 enrolled (ms)")
                .contains("throughput, 4 connections")
                .contains("latency p99")
                .contains("proxy peak RSS")
                .contains("added latency at p99")
                .contains("throughput (1 connection) ≥ stunnel's");
    }
}
