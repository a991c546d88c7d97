package io.ambientjava.waypoint.config;

import io.ambientjava.waypoint.telemetry.TelemetryExpression;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code istio.stats} filter's metric overrides (Istio's {@code stats.PluginConfig.metrics}), in order: a later
 * entry for the same metric wins per tag.
 */
public record StatsConfig(List<MetricOverride> metrics) {

    public static final StatsConfig DEFAULT = new StatsConfig(List.of());

    public StatsConfig {
        metrics = List.copyOf(metrics);
    }

    /**
     * @param name Istio's metric name without the {@code istio_} prefix ({@code requests_total}, ...); empty for
     *     every metric
     * @param dimensions tags to add or replace, each an expression evaluated per request
     * @param tagsToRemove standard tags left out
     * @param drop the metric is not recorded at all
     */
    public record MetricOverride(
            String name, Map<String, TelemetryExpression> dimensions, List<String> tagsToRemove, boolean drop) {
        public MetricOverride {
            Objects.requireNonNull(name, "name");
            dimensions = Map.copyOf(dimensions);
            tagsToRemove = List.copyOf(tagsToRemove);
        }

        public boolean appliesTo(String metric) {
            return name.isEmpty() || name.equals(metric);
        }
    }
}
