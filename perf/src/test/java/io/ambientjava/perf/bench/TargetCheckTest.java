package io.ambientjava.perf.bench;

import static io.ambientjava.perf.bench.ReportFixtures.report;
import static io.ambientjava.perf.bench.ReportFixtures.variant;
import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.perf.bench.TargetCheck.Verdict;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class TargetCheckTest {

    private static VariantResult tls(double singleMib, long p99) {
        return variant(Variant.TLS, singleMib, 1, p99, 1.0, OptionalLong.empty(), List.of());
    }

    private static VariantResult hbone(double singleMib, long p99) {
        return variant(Variant.HBONE, singleMib, 1, p99, 1.0, OptionalLong.empty(), List.of());
    }

    @Test
    void singleStreamThroughputPassesAtExactlyFourFifthsOfTls() {
        assertThat(TargetCheck.singleStreamThroughput(report(List.of(tls(1000, 1), hbone(800, 1))))
                        .verdict())
                .isEqualTo(Verdict.PASS);
        assertThat(TargetCheck.singleStreamThroughput(report(List.of(tls(1000, 1), hbone(790, 1))))
                        .verdict())
                .isEqualTo(Verdict.FALL_SHORT);
    }

    @Test
    void p99PassesUpToAHundredMicrosecondsAboveTls() {
        TargetCheck atLimit = TargetCheck.p99AtThousand(report(List.of(tls(1, 300), hbone(1, 399))));
        TargetCheck over = TargetCheck.p99AtThousand(report(List.of(tls(1, 300), hbone(1, 420))));
        TargetCheck faster = TargetCheck.p99AtThousand(report(List.of(tls(1, 300), hbone(1, 250))));

        assertThat(atLimit.verdict()).isEqualTo(Verdict.PASS);
        assertThat(over.verdict()).isEqualTo(Verdict.FALL_SHORT);
        assertThat(over.measured()).isEqualTo("420 µs vs 300 µs = +120 µs");
        assertThat(faster.verdict()).isEqualTo(Verdict.PASS);
        assertThat(faster.measured()).endsWith("= -50 µs");
    }

    @Test
    void saysWhenAFigureIsMissing() {
        List<TargetCheck> checks = TargetCheck.evaluate(report(List.of(tls(1000, 300))));

        assertThat(checks).extracting(TargetCheck::verdict).containsOnly(Verdict.NOT_MEASURED);
        assertThat(checks.getFirst().measured()).contains("needs both tls and hbone");
    }
}
