package io.ambientjava.perf.bench;

import static io.ambientjava.perf.bench.ReportFixtures.report;
import static io.ambientjava.perf.bench.ReportFixtures.variant;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RoundMedianTest {

    private static BenchmarkReport round(double tlsSingle, double hboneSingle, long tlsP99, long hboneP99, long rss) {
        return report(List.of(
                variant(Variant.TLS, tlsSingle, 700, tlsP99, 1.0, OptionalLong.of(rss), List.of()),
                variant(Variant.HBONE, hboneSingle, 650, hboneP99, 1.0, OptionalLong.of(rss + 10), List.of())));
    }

    @Test
    void eachCaseTakesTheMedianRoundPerVariant() {
        BenchmarkReport merged = RoundMedian.of(List.of(
                round(800, 560, 700, 900, 100), round(820, 1000, 650, 600, 120), round(780, 700, 690, 640, 90)));

        assertThat(merged.result(Variant.TLS)
                        .orElseThrow()
                        .throughput(1)
                        .orElseThrow()
                        .mibPerSecond())
                .isCloseTo(800, org.assertj.core.data.Offset.offset(0.01));
        assertThat(merged.result(Variant.HBONE)
                        .orElseThrow()
                        .throughput(1)
                        .orElseThrow()
                        .mibPerSecond())
                .isCloseTo(700, org.assertj.core.data.Offset.offset(0.01));
        assertThat(merged.result(Variant.HBONE)
                        .orElseThrow()
                        .latency(1_000)
                        .orElseThrow()
                        .sample()
                        .percentileMicros(99))
                .isBetween(639.0, 641.0);
        assertThat(merged.result(Variant.HBONE).orElseThrow().tunnelPeakRssBytes())
                .hasValue(130); // the highest peak of any round
        assertThat(merged.took()).isEqualTo(java.time.Duration.ofSeconds(450));
    }

    @Test
    void anEvenCountTakesTheLowerMedianNotAnAverage() {
        BenchmarkReport merged =
                RoundMedian.of(List.of(round(800, 560, 700, 900, 100), round(800, 1000, 700, 600, 100)));
        assertThat(merged.result(Variant.HBONE)
                        .orElseThrow()
                        .throughput(1)
                        .orElseThrow()
                        .mibPerSecond())
                .isCloseTo(560, org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    void theRoundsSectionShowsEveryRoundsTargetFigures() {
        String section =
                RoundMedian.roundsSection(List.of(round(800, 560, 700, 900, 100), round(800, 1000, 700, 600, 100)));
        assertThat(section)
                .contains("2 rounds")
                .contains("| 1 | 560 MiB/s vs 800 MiB/s = 0.70× (FALL SHORT)")
                .contains("| 2 | 1000 MiB/s vs 800 MiB/s = 1.25× (PASS)");
    }

    @Test
    void noRoundsIsAnError() {
        assertThatThrownBy(() -> RoundMedian.of(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no rounds to fold");
    }
}
