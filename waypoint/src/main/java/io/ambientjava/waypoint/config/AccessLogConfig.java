package io.ambientjava.waypoint.config;

import io.ambientjava.waypoint.telemetry.AccessLogFormat;
import io.ambientjava.waypoint.telemetry.TelemetryExpression;
import java.util.Objects;
import java.util.Optional;

/**
 * One {@code access_log} entry: where lines go ({@code /dev/stdout} or a file path), their format, and the filter
 * a request must pass to be logged.
 */
public record AccessLogConfig(String path, AccessLogFormat format, Optional<TelemetryExpression> filter) {

    public static final String STDOUT = "/dev/stdout";

    public AccessLogConfig {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(filter, "filter");
    }
}
