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
                config.lbPolicy(), usable, config.lbPolicy().consistentHash() ? hash : OptionalLong.empty());
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
        outlier.record(host, status, hosts);
    }

    void closeIdle() {
        pools.forEach((loop, byHost) -> loop.execute(() -> byHost.values().forEach(HostPool::retire)));
    }
}
