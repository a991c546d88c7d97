package io.ambientjava.waypoint.upstream;

import io.ambientjava.waypoint.config.ClusterConfig;
import io.ambientjava.waypoint.config.EndpointConfig;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One cluster at run time: its current config and endpoints, circuit breaker counters, outlier state, load
 * balancer and connection pools. Survives config updates (counters and pools carry on); a removed cluster is
 * dropped, and requests already holding it finish on it.
 */
public final class ClusterRuntime {

    private volatile ClusterConfig config;
    private volatile List<HostState> hosts = List.of();
    private final ClusterLimits limits;
    private final OutlierDetector outlier;
    private final LoadBalancer balancer = new LoadBalancer();
    private final Transport transport;
    private final Map<EventLoop, Map<InetSocketAddress, HostPool>> pools = new ConcurrentHashMap<>();
    /** An ORIGINAL_DST cluster's hosts, made as connections name them (it has no endpoints of its own). */
    private final Map<EndpointConfig, HostState> originalHosts = new ConcurrentHashMap<>();

    /** Beyond this many original-destination hosts, the idle ones are forgotten (Envoy cleans them up on a timer). */
    static final int MAX_ORIGINAL_HOSTS = 1024;

    ClusterRuntime(ClusterConfig config, Transport transport) {
        this.config = config;
        this.transport = transport;
        this.limits = new ClusterLimits(config.limits());
        this.outlier = new OutlierDetector(config.outlierDetection(), System::nanoTime);
    }

    public ClusterConfig config() {
        return config;
    }

    public Transport transport() {
        return transport;
    }

    public ClusterLimits limits() {
        return limits;
    }

    public List<HostState> hosts() {
        return hosts;
    }

    synchronized void update(ClusterConfig newConfig, List<EndpointConfig> endpoints) {
        config = newConfig;
        limits.update(newConfig.limits());
        outlier.update(newConfig.outlierDetection());
        Map<String, HostState> old = new HashMap<>();
        for (HostState h : hosts) {
            old.put(key(h.endpoint), h);
        }
        List<HostState> next = new ArrayList<>();
        for (EndpointConfig e : endpoints) {
            HostState h = old.get(key(e));
            if (h == null) {
                h = new HostState(e);
            } else {
                h.endpoint = e;
            }
            next.add(h);
        }
        hosts = List.copyOf(next);
        java.util.Set<InetSocketAddress> kept = new java.util.HashSet<>();
        next.forEach(h -> kept.add(h.endpoint.address()));
        originalHosts.keySet().forEach(e -> kept.add(e.address()));
        pools.forEach((loop, byHost) -> byHost.entrySet().removeIf(e -> {
            if (kept.contains(e.getKey())) {
                return false;
            }
            loop.execute(e.getValue()::retire);
            return true;
        }));
    }

    private static String key(EndpointConfig e) {
        return e.address() + (e.hbone() ? "/hbone" : "/tcp");
    }

    /**
     * Picks a host: healthy and not ejected, preferring ones not in {@code avoid} (hosts a retry already tried).
     * When fewer than the panic threshold's share of hosts is usable, any host (Envoy's panic mode); with the
     * threshold at 0 and no usable host, none.
     *
     * @return null when the cluster has no endpoint
     */
    public HostState pick(OptionalLong hash, Set<HostState> avoid) {
        List<HostState> all = hosts;
        if (all.isEmpty()) {
            return null;
        }
        long now = System.nanoTime();
        List<HostState> usable = new ArrayList<>(all.size());
        for (HostState h : all) {
            if (h.endpoint.healthy() && !h.isEjected(now)) {
                usable.add(h);
            }
        }
        double threshold = config.panicThresholdPercent();
        if (threshold > 0 && usable.size() * 100.0 < threshold * all.size()) {
            usable = new ArrayList<>(all); // panic: too few usable hosts, so spread over every host
        } else if (usable.isEmpty()) {
            return null;
        }
        if (!avoid.isEmpty() && usable.size() > avoid.size()) {
            List<HostState> fresh = new ArrayList<>(usable);
            fresh.removeAll(avoid);
            if (!fresh.isEmpty()) {
                usable = fresh;
            }
        }
        return balancer.pick(
                config.lbPolicy(),
                usable,
                config.lbPolicy().consistentHash() ? hash : OptionalLong.empty(),
                config.slowStart());
    }

    /**
     * Picks a host for a connection or request: for an {@code ORIGINAL_DST} cluster the pod the client connected to
     * ({@code originalDestination}; null when there is none, e.g. a route from a service listener to it), else as
     * {@link #pick(OptionalLong, Set)}.
     */
    public HostState pick(
            OptionalLong hash, Set<HostState> avoid, java.util.Optional<EndpointConfig> originalDestination) {
        if (!config.originalDestination()) {
            return pick(hash, avoid);
        }
        if (originalDestination.isEmpty()) {
            return null;
        }
        HostState host = originalHosts.get(originalDestination.get());
        return host != null ? host : addOriginalHost(originalDestination.get());
    }

    private synchronized HostState addOriginalHost(EndpointConfig endpoint) {
        HostState existing = originalHosts.get(endpoint);
        if (existing != null) {
            return existing;
        }
        // The same address with other mesh facts (a new pod took the IP): its connections proved the old identity.
        originalHosts.keySet().removeIf(e -> {
            if (!e.address().equals(endpoint.address())) {
                return false;
            }
            retirePools(e.address());
            return true;
        });
        if (originalHosts.size() >= MAX_ORIGINAL_HOSTS) {
            originalHosts.entrySet().removeIf(e -> {
                if (e.getValue().activeRequests() > 0) {
                    return false;
                }
                retirePools(e.getKey().address());
                return true;
            });
        }
        HostState host = new HostState(endpoint);
        originalHosts.put(endpoint, host);
        return host;
    }

    private void retirePools(InetSocketAddress address) {
        pools.forEach((loop, byHost) -> {
            HostPool pool = byHost.remove(address);
            if (pool != null) {
                loop.execute(pool::retire);
            }
        });
    }

    int originalHostCount() {
        return originalHosts.size();
    }

    /** Loop of the caller: a connection (or stream) to {@code host}. */
    public java.util.concurrent.CompletableFuture<Lease> acquire(
            HostState host, EventLoop loop, UpstreamProtocol protocol) {
        HostPool pool = pools.computeIfAbsent(loop, l -> new ConcurrentHashMap<>())
                .computeIfAbsent(host.endpoint.address(), a -> new HostPool(host, loop, this, transport));
        return pool.acquire(protocol);
    }

    /** A connection slot was freed: every pool with waiting requests tries to dial, on its own loop. */
    void connectionFreed() {
        pools.forEach((loop, byHost) ->
                loop.execute(() -> byHost.values().forEach(HostPool::serveWaitersWithNewConnections)));
    }

    /** Requests wait for a connection: idle connections elsewhere are closed to free their slots. */
    void reclaimIdleConnections() {
        pools.forEach((loop, byHost) -> loop.execute(() -> byHost.values().forEach(HostPool::closeOneIdle)));
    }

    /** @param status the response status, or 0 for a connect failure, reset or timeout */
    public void recordOutcome(HostState host, int status) {
        if (config.originalDestination()) {
            return; // one host per destination: there is nothing to eject it in favour of
        }
        outlier.record(host, status, hosts);
    }

    void closeIdle() {
        pools.forEach((loop, byHost) -> loop.execute(() -> byHost.values().forEach(HostPool::retire)));
    }
}
