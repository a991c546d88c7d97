package io.ambientjava.perf.mesh;

import io.ambientjava.perf.mesh.MeshTarget.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The targets, with two ztunnels on the path. */
public final class MeshTargets {

    static final double MAX_ADDED_P90_MICROS = 170;
    static final double MAX_ADDED_P99_MICROS = 200;
    static final double MAX_CORES_PER_THOUSAND_RPS = 0.06;
    static final long MAX_RSS_BYTES = 64L * 1024 * 1024;

    private MeshTargets() {}

    /** The targets for each ztunnel run (one per redirection mode), or not measured without one. */
    public static List<MeshTarget> evaluate(List<MeshVariantResult> results) {
        Optional<MeshVariantResult> direct = find(results, MeshVariant.DIRECT);
        Optional<MeshVariantResult> stunnel = find(results, MeshVariant.STUNNEL);
        List<MeshVariantResult> ztunnels =
                results.stream().filter(r -> r.variant() == MeshVariant.ZTUNNEL).toList();
        if (ztunnels.isEmpty()) {
            return evaluate(direct, Optional.empty(), stunnel);
        }
        List<MeshTarget> targets = new ArrayList<>();
        for (MeshVariantResult ztunnel : ztunnels) {
            for (MeshTarget target : evaluate(direct, Optional.of(ztunnel), stunnel)) {
                targets.add(
                        ztunnels.size() == 1
                                ? target
                                : new MeshTarget(
                                        target.goal() + " ["
                                                + ztunnel.redirect()
                                                        .map(MeshRedirect::label)
                                                        .orElse("?") + "]",
                                        target.measured(),
                                        target.verdict()));
            }
        }
        return targets;
    }

    private static List<MeshTarget> evaluate(
            Optional<MeshVariantResult> direct,
            Optional<MeshVariantResult> ztunnel,
            Optional<MeshVariantResult> stunnel) {
        List<MeshTarget> targets = new ArrayList<>();
        targets.add(addedLatency(direct, ztunnel, 90, MAX_ADDED_P90_MICROS));
        targets.add(addedLatency(direct, ztunnel, 99, MAX_ADDED_P99_MICROS));
        String cpuGoal = "ztunnel CPU ≤ %.2f core per 1,000 rps per ztunnel".formatted(MAX_CORES_PER_THOUSAND_RPS);
        targets.add(ztunnel.flatMap(z -> z.proxies().isEmpty()
                        ? Optional.empty()
                        : Optional.of(new MeshTarget(
                                cpuGoal,
                                "%.3f (busiest of %d)"
                                        .formatted(
                                                z.maxCoresPerThousandRps().orElseThrow(),
                                                z.proxies().size()),
                                Verdict.of(z.maxCoresPerThousandRps().orElseThrow() <= MAX_CORES_PER_THOUSAND_RPS))))
                .orElse(notMeasured(cpuGoal)));
        String rssGoal = "ztunnel peak RSS (VmHWM) ≤ 64 MiB per ztunnel";
        targets.add(ztunnel.flatMap(z -> z.proxies().isEmpty()
                        ? Optional.empty()
                        : Optional.of(new MeshTarget(
                                rssGoal,
                                "%.1f MiB (largest)"
                                        .formatted(mib(z.maxPeakResidentBytes().orElseThrow())),
                                Verdict.of(z.maxPeakResidentBytes().orElseThrow() <= MAX_RSS_BYTES))))
                .orElse(notMeasured(rssGoal)));
        targets.add(throughput(ztunnel, stunnel, false));
        targets.add(throughput(ztunnel, stunnel, true));
        return targets;
    }

    private static MeshTarget addedLatency(
            Optional<MeshVariantResult> direct, Optional<MeshVariantResult> ztunnel, int percentile, double max) {
        String goal = "added latency at p%d ≤ %.2f ms over direct".formatted(percentile, max / 1000);
        if (direct.isEmpty() || ztunnel.isEmpty()) {
            return notMeasured(goal);
        }
        double added = ztunnel.get().p(percentile) - direct.get().p(percentile);
        return new MeshTarget(
                goal,
                "%+.3f ms (%.3f vs %.3f)"
                        .formatted(
                                added / 1000,
                                ztunnel.get().p(percentile) / 1000,
                                direct.get().p(percentile) / 1000),
                Verdict.of(added <= max));
    }

    private static MeshTarget throughput(
            Optional<MeshVariantResult> ztunnel, Optional<MeshVariantResult> stunnel, boolean multi) {
        String goal = "throughput (%s) ≥ stunnel's".formatted(multi ? "many connections" : "1 connection");
        if (ztunnel.isEmpty() || stunnel.isEmpty()) {
            return notMeasured(goal);
        }
        MeshThroughput z = multi ? ztunnel.get().multi() : ztunnel.get().single();
        MeshThroughput s = multi ? stunnel.get().multi() : stunnel.get().single();
        return new MeshTarget(
                goal.replace("many", Integer.toString(z.streams())),
                String.format(
                        Locale.ROOT,
                        "%.0f vs %.0f MiB/s (%.2f×)",
                        z.mibPerSecond(),
                        s.mibPerSecond(),
                        z.mibPerSecond() / s.mibPerSecond()),
                Verdict.of(z.mibPerSecond() >= s.mibPerSecond()));
    }

    private static MeshTarget notMeasured(String goal) {
        return new MeshTarget(goal, "—", Verdict.NOT_MEASURED);
    }

    private static Optional<MeshVariantResult> find(List<MeshVariantResult> results, MeshVariant variant) {
        return results.stream().filter(r -> r.variant() == variant).findFirst();
    }

    static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
