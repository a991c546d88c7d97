package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one HTTP connection manager says about telemetry: its {@code tracing}, its {@code access_log} entries and
 * the {@code istio.stats} filter (metric overrides). Absent stats filter: the standard metrics, unchanged.
 */
public record HttpTelemetryConfig(
        Optional<TracingConfig> tracing, List<AccessLogConfig> accessLogs, Optional<StatsConfig> stats) {

    public static final HttpTelemetryConfig NONE =
            new HttpTelemetryConfig(Optional.empty(), List.of(), Optional.empty());

    public HttpTelemetryConfig {
        Objects.requireNonNull(tracing, "tracing");
        accessLogs = List.copyOf(accessLogs);
        Objects.requireNonNull(stats, "stats");
    }

    public HttpTelemetryConfig withStats(StatsConfig stats) {
        return new HttpTelemetryConfig(tracing, accessLogs, Optional.of(stats));
    }
}
