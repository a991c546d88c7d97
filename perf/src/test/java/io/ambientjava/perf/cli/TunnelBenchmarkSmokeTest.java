package io.ambientjava.perf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Runs the whole benchmark with tiny durations: child process, every case, the table. Asserts the shape of the
 * output only; the figures from such short runs mean nothing.
 */
class TunnelBenchmarkSmokeTest {

    @Test
    @Timeout(120)
    void quickRunProducesATableForEveryVariant(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("results.md");
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        TunnelCommand command = new TunnelCommand();
        command.stdout = new PrintStream(stdout, true, StandardCharsets.UTF_8);
        command.stderr = new PrintStream(stderr, true, StandardCharsets.UTF_8);

        int exit = new CommandLine(command)
                .execute(
                        "--quick",
                        "--variants",
                        "direct,tls,hbone",
                        "--warmup",
                        "200ms",
                        "--duration",
                        "500ms",
                        "--max-bytes",
                        "64MiB",
                        "--streams",
                        "4",
                        "--rates",
                        "200",
                        "--connections",
                        "4",
                        "--out",
                        out.toString());

        String log = stderr.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(log).isZero();
        String table = Files.readString(out);
        assertThat(stdout.toString(StandardCharsets.UTF_8)).contains(table);
        assertThat(table)
                .as(log)
                .contains("| metric | direct | tls | hbone | hbone/direct | hbone/tls |")
                .contains("| throughput, 1 stream (MiB/s) |")
                .contains("| throughput, 4 streams (MiB/s) |")
                .contains("| latency p99 @ 200 rps (µs) |")
                .contains("| tunnel peak RSS, VmHWM (MiB) | — |")
                .contains("## Targets")
                .doesNotContain("## Problems");
        assertThat(log).contains("tunnel child pid");
    }
}
