package io.ambientjava.waypoint.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Envoy's {@code Cluster} (type EDS, ORIGINAL_DST, STRICT_DNS or LOGICAL_DNS) as the waypoint uses it.
 *
 * @param maxRequestsPerConnection 0: unlimited
 * @param http2 speak HTTP/2 upstream even to HTTP/1.1 clients ({@code http2_protocol_options}); otherwise the
 *     client's protocol is used upstream
 * @param idleTimeout an upstream connection unused this long is closed (Envoy: 1 h)
 * @param panicThresholdPercent below this share of usable hosts every host is used (Envoy: 50; 0 disables)
 * @param tls TLS originated to the endpoints ({@code transport_socket}); empty: their bytes go as they are
 * @param dns for a STRICT_DNS or LOGICAL_DNS cluster, the names it resolves for its endpoints; empty: its endpoints
 *     come from EDS (or, for ORIGINAL_DST, from the connection)
 */
public record ClusterConfig(
        String name,
        LbPolicy lbPolicy,
        Duration connectTimeout,
        CircuitBreakerLimits limits,
        Optional<OutlierConfig> outlierDetection,
        int maxRequestsPerConnection,
        boolean http2,
        Duration idleTimeout,
        double panicThresholdPercent,
        Optional<UpstreamTls> tls,
        Optional<DnsDiscovery> dns) {

    public ClusterConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(lbPolicy, "lbPolicy");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(outlierDetection, "outlierDetection");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(dns, "dns");
    }

    /** An {@code ORIGINAL_DST} cluster: it sends to where the client connected (a pod's own address). */
    public boolean originalDestination() {
        return lbPolicy == LbPolicy.CLUSTER_PROVIDED;
    }
}
