package io.ambientjava.perf.mesh;

import static io.ambientjava.perf.mesh.MeshFixtures.proxy;
import static io.ambientjava.perf.mesh.MeshFixtures.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.perf.mesh.MeshTarget.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

class MeshTargetsTest {

    private static final MeshVariantResult DIRECT = result(MeshVariant.DIRECT, 1000, 2000, 200, List.of());

    @Test
    void everyTargetPassesWhenZtunnelIsWithinTheLimits() {
        MeshVariantResult ztunnel =
                result(MeshVariant.ZTUNNEL, 600, 900, 350, List.of(proxy("a", 0.05, 60), proxy("b", 0.04, 50)));
        MeshVariantResult stunnel = result(MeshVariant.STUNNEL, 500, 800, 300, List.of(proxy("s", 0.1, 12)));

        List<MeshTarget> targets = MeshTargets.evaluate(List.of(DIRECT, ztunnel, stunnel));

        assertThat(targets).hasSize(6).allSatisfy(t -> assertThat(t.verdict()).isEqualTo(Verdict.PASS));
        assertThat(targets.getFirst().measured()).startsWith("+0.150 ms");
    }

    @Test
    void eachTargetFallsShortOnItsOwnFigure() {
        MeshVariantResult ztunnel =
                result(MeshVariant.ZTUNNEL, 400, 700, 450, List.of(proxy("a", 0.05, 60), proxy("b", 0.07, 65)));
        MeshVariantResult stunnel = result(MeshVariant.STUNNEL, 500, 800, 300, List.of());

        List<MeshTarget> targets = MeshTargets.evaluate(List.of(DIRECT, ztunnel, stunnel));

        assertThat(targets).extracting(MeshTarget::verdict).containsOnly(Verdict.FALLS_SHORT);
        assertThat(targets.get(2).measured()).isEqualTo("0.070 (busiest of 2)");
        assertThat(targets.get(3).measured()).isEqualTo("65.0 MiB (largest)");
        assertThat(targets.get(4).measured()).isEqualTo("400 vs 500 MiB/s (0.80×)");
        assertThat(targets.get(5).goal()).contains("16 connections");
    }

    @Test
    void targetsWithoutTheirVariantsAreNotMeasured() {
        assertThat(MeshTargets.evaluate(List.of(DIRECT)))
                .extracting(MeshTarget::verdict)
                .containsOnly(Verdict.NOT_MEASURED);
    }

    @Test
    void verdictLabelsAreTheIssuesWords() {
        assertThat(Verdict.PASS.label()).isEqualTo("PASS");
        assertThat(Verdict.FALLS_SHORT.label()).isEqualTo("FALLS SHORT");
    }
}
