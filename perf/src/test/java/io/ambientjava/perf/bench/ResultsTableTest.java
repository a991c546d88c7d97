package io.ambientjava.perf.bench;

import static io.ambientjava.perf.bench.ReportFixtures.report;
import static io.ambientjava.perf.bench.ReportFixtures.variant;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ResultsTableTest {

    private static final List<VariantResult> ALL = List.of(
            variant(Variant.DIRECT, 2000, 1800, 80, null, OptionalLong.empty(), List.of()),
            variant(Variant.TLS, 1000, 900, 200, 5.0, OptionalLong.of(100 * ReportFixtures.MIB), List.of()),
            variant(Variant.HBONE, 900, 450, 250, 10.0, OptionalLong.of(150 * ReportFixtures.MIB), List.of()));

    @Test
    void showsEveryFigureWithHboneRatios() {
        String table = ResultsTable.render(report(ALL));

        assertThat(table)
                .contains("| metric | direct | tls | hbone | hbone/direct | hbone/tls |")
                .contains("| throughput, 1 stream (MiB/s) | 2000 | 1000 | 900 | 0.45× | 0.90× |")
                .contains("| throughput, 64 streams (MiB/s) | 1800 | 900 | 450 | 0.25× | 0.50× |")
                .contains("| latency p99 @ 1,000 rps (µs) | 80.1 | 200 | 250 | 3.12× | 1.25× |")
                .contains("| latency p50 @ 10,000 rps (µs) | 40.0 | 40.0 | 40.0 | 1.00× | 1.00× |")
                // 5 CPU-s over 1000 MiB/s * 10 s = 9.77 GiB -> 0.512 s/GiB; hbone: 10 s over 8.79 GiB
                .contains("| tunnel CPU per GiB, 1 stream (s) | — | 0.512 | 1.14 | — | 2.22× |")
                .contains("| tunnel CPU @ 1,000 rps (vCPU) | — | 0.0500 | 0.0500 | — | 1.00× |")
                .contains("| tunnel peak RSS, VmHWM (MiB) | — | 100 | 150 | — | 1.50× |")
                .contains("| requests answered / failed @ 1,000 rps | 4 / 0 | 4 / 0 | 4 / 0 | — | — |")
                .contains("# Tunnel benchmark, 2026-01-02T03:04:05Z");
    }

    @Test
    void judgesTheTargets() {
        String table = ResultsTable.render(report(ALL));

        assertThat(table)
                .contains("| HBONE single-stream throughput ≥ 0.8× TLS | 900 MiB/s vs 1000 MiB/s = 0.90× | **PASS** |")
                .contains("| HBONE p99 at 1,000 rps within 100 µs of TLS | 250 µs vs 200 µs = +50 µs | **PASS** |");
    }

    @Test
    void recordsTheConditionsWithoutTheClassPath() {
        String table = ResultsTable.render(report(ALL));

        assertThat(table)
                .contains("too) before: 0.10 0.20 0.30, after: 1.10 0.60 0.40")
                .contains("while each variant ran (average CPUs busy, of ")
                .contains("): direct 0.0500, tls 0.0500, hbone 0.0500\n")
                .contains("- benchmark JVM options: `-Xmx1g`")
                .contains("- tunnel JVM: `java -Xmx256m -cp … Main tls`")
                .doesNotContain("/very/long/class/path.jar")
                .doesNotContain("## Problems");
    }

    @Test
    void leavesOutRatiosWithoutHboneAndListsProblems() {
        String table = ResultsTable.render(report(List.of(
                variant(Variant.DIRECT, 2000, 1800, 80, null, OptionalLong.empty(), List.of()),
                variant(Variant.TLS, 1000, 900, 200, 5.0, OptionalLong.empty(), List.of("it broke")))));

        assertThat(table)
                .contains("| metric | direct | tls |\n")
                .contains("| throughput, 1 stream (MiB/s) | 2000 | 1000 |\n")
                .contains("**not measured**")
                .contains("## Problems\n\n- tls: it broke\n");
    }
}
