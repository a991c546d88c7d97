package io.ambientjava.perf.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Several rounds of the same benchmark folded into one report: per variant and case, the round whose figure is the
 * median (throughput by MiB/s, latency by p99). On two shared cores a single run's figures move with where the
 * scheduler puts four busy threads; the median of rounds that alternate the variant order is what a verdict should
 * rest on, with every round's own ratio shown beside it.
 */
public final class RoundMedian {

    private RoundMedian() {}

    public static BenchmarkReport of(List<BenchmarkReport> rounds) {
        if (rounds.isEmpty()) {
            throw new IllegalArgumentException("no rounds to fold");
        }
        if (rounds.size() == 1) {
            return rounds.getFirst();
        }
        BenchmarkReport first = rounds.getFirst();
        List<VariantResult> merged = new ArrayList<>();
        for (VariantResult result : first.results()) {
            Variant variant = result.variant();
            List<VariantResult> perRound = rounds.stream()
                    .map(r -> r.result(variant))
                    .flatMap(Optional::stream)
                    .toList();
            merged.add(new VariantResult(
                    variant,
                    medianByKey(perRound, VariantResult::throughput, ThroughputResult::mibPerSecond),
                    medianByKey(
                            perRound, VariantResult::latency, l -> l.sample().percentileMicros(99)),
                    perRound.stream()
                            .map(VariantResult::tunnelPeakRssBytes)
                            .filter(OptionalLong::isPresent)
                            .mapToLong(OptionalLong::getAsLong)
                            .max(),
                    perRound.stream()
                            .flatMap(r -> r.problems().stream())
                            .distinct()
                            .toList(),
                    perRound.stream()
                            .map(VariantResult::otherCpus)
                            .filter(OptionalDouble::isPresent)
                            .mapToDouble(OptionalDouble::getAsDouble)
                            .max()));
        }
        BenchmarkReport last = rounds.getLast();
        return new BenchmarkReport(
                first.options(),
                first.started(),
                rounds.stream().map(BenchmarkReport::took).reduce(java.time.Duration.ZERO, java.time.Duration::plus),
                first.machine(),
                first.loadBefore(),
                last.loadAfter(),
                first.benchmarkJvmOptions(),
                first.tunnelCommand(),
                merged);
    }

    /** The lower median for an even count, so that two rounds report the worse one, not an average. */
    static <T> Map<Integer, T> medianByKey(
            List<VariantResult> rounds, Function<VariantResult, Map<Integer, T>> cases, ToDoubleFunction<T> figure) {
        Map<Integer, List<T>> byKey = new LinkedHashMap<>();
        for (VariantResult round : rounds) {
            cases.apply(round)
                    .forEach((key, value) ->
                            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(value));
        }
        Map<Integer, T> medians = new LinkedHashMap<>();
        byKey.forEach((key, values) -> {
            List<T> sorted =
                    values.stream().sorted(Comparator.comparingDouble(figure)).toList();
            medians.put(key, sorted.get((sorted.size() - 1) / 2));
        });
        return medians;
    }

    /** A section listing each round's target figures, so the spread behind the medians is visible. */
    public static String roundsSection(List<BenchmarkReport> rounds) {
        StringBuilder out = new StringBuilder("## Rounds\n\n");
        out.append(String.format(
                Locale.ROOT,
                "%d rounds, variant order reversed every other round; the tables above show per case the round with"
                        + " the median figure.%n%n",
                rounds.size()));
        out.append("| round | ");
        List<TargetCheck> firstChecks = TargetCheck.evaluate(rounds.getFirst());
        firstChecks.forEach(c -> out.append(c.goal()).append(" | "));
        out.append("\n|---|").append("---|".repeat(firstChecks.size())).append('\n');
        for (int i = 0; i < rounds.size(); i++) {
            out.append("| ").append(i + 1).append(" | ");
            for (TargetCheck check : TargetCheck.evaluate(rounds.get(i))) {
                out.append(check.measured())
                        .append(" (")
                        .append(check.verdict().label())
                        .append(") | ");
            }
            out.append('\n');
        }
        return out.append('\n').toString();
    }
}
