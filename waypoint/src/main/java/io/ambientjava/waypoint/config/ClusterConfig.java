package io.ambientjava.waypoint.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Envoy's {@code Cluster} (type EDS) as the waypoint uses it.
 *
 * @param maxRequestsPerConnection 0: unlimited
 * @param http2 speak HTTP/2 upstream even to HTTP/1.1 clients ({@code http2_protocol_options}); otherwise the
 *     client's protocol is used upstream
 */
public record ClusterConfig(
        String name,
        LbPolicy lbPolicy,
        Duration connectTimeout,
        CircuitBreakerLimits limits,
        Optional<OutlierConfig> outlierDetection,
        int maxRequestsPerConnection,
        boolean http2) {

    public ClusterConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(lbPolicy, "lbPolicy");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(outlierDetection, "outlierDetection");
    }
}
