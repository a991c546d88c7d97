package io.ambientjava.perf.l7;

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
 * {@code l7 --quick} end to end with tiny durations: istiod-lite, two ztunnels, the waypoint, the gateway and nginx as real
 * processes on a two-node netns topology, wrk and the open-loop probe. Asserts that every variant's path answered
 * (no failed or non-2xx request) and the report's shape; figures from such short runs mean nothing.
 */
@RequiresRoot
@RequiresCommand({"ip", "nft", "wrk", "nginx", "openssl", "curl"})
class L7BenchmarkSmokeTest {

    private static Path jar(String relative) {
        for (Path p : List.of(Path.of(relative), Path.of("..").resolve(relative))) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return Path.of(relative);
    }

    @Test
    @Timeout(150)
    void quickRunGoesThroughEveryVariantAndPrintsTheTable(@TempDir Path dir) throws Exception {
        Path waypoint = jar("waypoint/target/waypoint.jar");
        Path ztunnel = jar("ztunnel-java/target/ztunnel.jar");
        Path istiod = jar("istiod-lite/target/istiod-lite.jar");
        for (Path p : List.of(waypoint, ztunnel, istiod)) {
            assumeTrue(Files.isRegularFile(p), p + " not built (./mvnw -B -q -pl <module> package -DskipTests)");
        }
        Path out = dir.resolve("l7.md");

        int exit = new CommandLine(new L7Command())
                .execute(
                        "--quick",
                        "--warmup",
                        "200ms",
                        "--duration",
                        "1s",
                        "--max-duration",
                        "1s",
                        "--rate",
                        "200",
                        "--waypoint-jar",
                        waypoint.toString(),
                        "--ztunnel-jar",
                        ztunnel.toString(),
                        "--istiod-jar",
                        istiod.toString(),
                        "--out",
                        out.toString());

        assertThat(exit).isZero();
        String table = Files.readString(out);
        assertThat(table)
                .contains("| figure | ztunnel only (L4) | ztunnel → waypoint | nginx TLS proxy | nginx TLS both sides"
                        + " | gateway TLS both sides |")
                .contains("max throughput (req/s, wrk, 16 conns)")
                .contains("latency p99 (ms), 200 rps, 16 conns")
                .contains("proxy peak RSS, VmHWM (MiB)")
                .contains("p99 added by the waypoint hop")
                .contains("max throughput ≥ 0.8× nginx TLS both sides")
                .contains("max throughput ≥ 0.8× nginx, proxy for proxy (gateway-mtls against nginx-mtls)")
                .contains("load average before");
        String answered = table.lines()
                .filter(l -> l.startsWith("| requests sent / answered / failed / non-2xx"))
                .findFirst()
                .orElseThrow();
        String[] cells = answered.split("\\|");
        for (int i = 2; i < cells.length; i++) {
            String[] counts = cells[i].strip().split(" / ");
            assertThat(counts)
                    .as("sent / answered / failed / non-2xx in " + answered)
                    .hasSize(4);
            assertThat(counts[1]).as("answered in " + answered).isEqualTo(counts[0]);
            assertThat(counts[2]).as("failed in " + answered).isEqualTo("0");
            assertThat(counts[3]).as("non-2xx in " + answered).isEqualTo("0");
        }
    }
}
