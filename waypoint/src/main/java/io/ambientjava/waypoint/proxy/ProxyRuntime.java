package io.ambientjava.waypoint.proxy;

import io.ambientjava.waypoint.config.WaypointConfig;
import io.ambientjava.waypoint.filter.RateLimitBuckets;
import io.ambientjava.waypoint.telemetry.RequestObserver;
import io.ambientjava.waypoint.telemetry.TcpObserver;
import io.ambientjava.waypoint.upstream.ClusterManager;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What every request reads: the current config snapshot (swapped atomically; a request keeps the snapshot and
 * clusters it started with), the clusters at run time, and who hears about finished requests.
 */
public final class ProxyRuntime {

    private final AtomicReference<WaypointConfig> config = new AtomicReference<>(WaypointConfig.EMPTY);
    private final ClusterManager clusters;
    private final RequestObserver observer;
    private final ProxyLimits limits;
    private final RateLimitBuckets rateLimitBuckets = new RateLimitBuckets(System::nanoTime);
    private final TcpObserver tcpObserver;

    public ProxyRuntime(ClusterManager clusters, RequestObserver observer, ProxyLimits limits) {
        this(clusters, observer, limits, TcpObserver.NONE);
    }

    public ProxyRuntime(
            ClusterManager clusters, RequestObserver observer, ProxyLimits limits, TcpObserver tcpObserver) {
        this.clusters = Objects.requireNonNull(clusters, "clusters");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.tcpObserver = Objects.requireNonNull(tcpObserver, "tcpObserver");
    }

    /** Installs a new snapshot: clusters are updated in place, then new requests see the new routes. */
    public synchronized void apply(WaypointConfig next) {
        clusters.apply(next);
        config.set(next);
        rateLimitBuckets.retainFor(next);
    }

    public WaypointConfig config() {
        return config.get();
    }

    public ClusterManager clusters() {
        return clusters;
    }

    public RequestObserver observer() {
        return observer;
    }

    /** Who hears about TCP-proxied connections. */
    public TcpObserver tcpObserver() {
        return tcpObserver;
    }

    /** The local rate limit token buckets, shared by every event loop. */
    public RateLimitBuckets rateLimitBuckets() {
        return rateLimitBuckets;
    }

    public ProxyLimits limits() {
        return limits;
    }
}
