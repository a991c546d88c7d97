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
 * @param http2MaxConcurrentStreams streams one upstream HTTP/2 connection carries at once before another is opened
 *     ({@code http2_protocol_options.max_concurrent_streams}; {@link #DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS} unless set)
 * @param idleTimeout an upstream connection unused this long is closed (Envoy: 1 h)
 * @param maxConnectionDuration an upstream connection this old takes no new request and closes once its requests
 *     are done ({@code common_http_protocol_options.max_connection_duration}); empty: no limit
 * @param slowStart hosts that joined lately get a share of their weight that grows over a window (ROUND_ROBIN and
 *     LEAST_REQUEST only); empty: every host gets its whole weight at once
 * @param tcpKeepalive TCP keepalive on the waypoint's own TCP connections to the endpoints (those outside the mesh;
 *     HBONE connections to ztunnels are shared by every cluster); empty: none
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
        int http2MaxConcurrentStreams,
        Duration idleTimeout,
        Optional<Duration> maxConnectionDuration,
        Optional<SlowStart> slowStart,
        Optional<TcpKeepalive> tcpKeepalive,
        double panicThresholdPercent,
        Optional<UpstreamTls> tls,
        Optional<DnsDiscovery> dns) {

    /**
     * Streams per upstream HTTP/2 connection when the cluster does not say: what servers commonly advertise
     * (Envoy's own default is 2^31 - 1, bounded by the server's SETTINGS_MAX_CONCURRENT_STREAMS).
     */
    public static final int DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS = 100;

    public ClusterConfig {
        if (http2MaxConcurrentStreams < 1) {
            throw new IllegalArgumentException(
                    "http2MaxConcurrentStreams must be at least 1, was " + http2MaxConcurrentStreams);
        }
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(lbPolicy, "lbPolicy");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(outlierDetection, "outlierDetection");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(maxConnectionDuration, "maxConnectionDuration");
        Objects.requireNonNull(slowStart, "slowStart");
        Objects.requireNonNull(tcpKeepalive, "tcpKeepalive");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(dns, "dns");
    }

    /** An {@code ORIGINAL_DST} cluster: it sends to where the client connected (a pod's own address). */
    public boolean originalDestination() {
        return lbPolicy == LbPolicy.CLUSTER_PROVIDED;
    }
}
