package io.ambientjava.waypoint.proxy;

import io.ambientjava.waypoint.config.ClusterConfig;
import io.ambientjava.waypoint.config.EndpointConfig;
import io.ambientjava.waypoint.config.WaypointConfig;
import io.ambientjava.waypoint.filter.RateLimitBuckets;
import io.ambientjava.waypoint.telemetry.RequestObserver;
import io.ambientjava.waypoint.telemetry.TcpObserver;
import io.ambientjava.waypoint.upstream.ClusterManager;
import io.ambientjava.waypoint.upstream.DnsClusters;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What every request reads: the current config snapshot (swapped atomically; a request keeps the snapshot and
 * clusters it started with), the clusters at run time, and who hears about finished requests.
 *
 * <p>The snapshot in force is the last one from xDS with the endpoints of its STRICT_DNS and LOGICAL_DNS clusters
 * replaced by what {@link DnsClusters} resolved for them: a new xDS snapshot keeps the resolved endpoints of the DNS
 * clusters it still has, and a change of resolved endpoints installs the same xDS snapshot again with the new ones.
 */
public final class ProxyRuntime {

    private final AtomicReference<WaypointConfig> config = new AtomicReference<>(WaypointConfig.EMPTY);
    private final ClusterManager clusters;
    private final RequestObserver observer;
    private final ProxyLimits limits;
    private final RateLimitBuckets rateLimitBuckets = new RateLimitBuckets(System::nanoTime);
    private final TcpObserver tcpObserver;
    private final DnsClusters dns;
    /** The last snapshot from xDS, before DNS clusters' endpoints are put in. Guarded by this. */
    private WaypointConfig fromXds = WaypointConfig.EMPTY;

    public ProxyRuntime(ClusterManager clusters, RequestObserver observer, ProxyLimits limits) {
        this(clusters, observer, limits, TcpObserver.NONE);
    }

    /** Without a DNS server: a DNS cluster's names never resolve (its IP literals still are endpoints). */
    public ProxyRuntime(
            ClusterManager clusters, RequestObserver observer, ProxyLimits limits, TcpObserver tcpObserver) {
        this(clusters, observer, limits, tcpObserver, DnsClusters.withoutUpstreams());
    }

    /** @param dns resolves the DNS clusters' names; its owner closes it */
    public ProxyRuntime(
            ClusterManager clusters,
            RequestObserver observer,
            ProxyLimits limits,
            TcpObserver tcpObserver,
            DnsClusters dns) {
        this.clusters = Objects.requireNonNull(clusters, "clusters");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.tcpObserver = Objects.requireNonNull(tcpObserver, "tcpObserver");
        this.dns = Objects.requireNonNull(dns, "dns");
        dns.onChange(this::dnsEndpointsChanged);
    }

    /**
     * Installs a new snapshot from xDS: DNS clusters start or stop resolving, clusters are updated in place (a DNS
     * cluster with the endpoints resolved so far), then new requests see the new routes.
     */
    public synchronized void apply(WaypointConfig next) {
        fromXds = next;
        dns.retain(next.clusters());
        install(withResolvedEndpoints(next));
    }

    /** A DNS cluster's resolved endpoints changed: the current xDS snapshot again, with them. */
    private synchronized void dnsEndpointsChanged() {
        WaypointConfig next = withResolvedEndpoints(fromXds);
        if (!next.equals(config.get())) {
            install(next);
        }
    }

    private void install(WaypointConfig next) {
        clusters.apply(next);
        config.set(next);
        rateLimitBuckets.retainFor(next);
    }

    private WaypointConfig withResolvedEndpoints(WaypointConfig xds) {
        Map<String, List<EndpointConfig>> resolved = null;
        Map<String, List<EndpointConfig>> replaced = new HashMap<>();
        for (ClusterConfig c : xds.clusters().values()) {
            if (c.dns().isPresent()) {
                if (resolved == null) {
                    resolved = dns.endpoints();
                }
                replaced.put(c.name(), resolved.getOrDefault(c.name(), List.of()));
            }
        }
        return replaced.isEmpty() ? xds : xds.withEndpoints(replaced);
    }

    /** What resolves the DNS clusters' names. */
    public DnsClusters dns() {
        return dns;
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
