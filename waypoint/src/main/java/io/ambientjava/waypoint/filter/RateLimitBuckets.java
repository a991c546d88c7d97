package io.ambientjava.waypoint.filter;

import io.ambientjava.waypoint.config.ListenerConfig;
import io.ambientjava.waypoint.config.LocalRateLimitConfig;
import io.ambientjava.waypoint.config.Route;
import io.ambientjava.waypoint.config.RouteTable;
import io.ambientjava.waypoint.config.TokenBucketConfig;
import io.ambientjava.waypoint.config.VirtualHost;
import io.ambientjava.waypoint.config.WaypointConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The live token buckets of one proxy, one per (owner, bucket config): the owner is a listener, or a route of a
 * virtual host of a route table, optionally narrowed to one descriptor. A config push that leaves an owner's
 * rate limit as it was keeps its bucket (and its spent tokens); a changed or removed one starts afresh, as Envoy
 * does when it rebuilds a filter config.
 */
public final class RateLimitBuckets {

    private final LongSupplier nanoClock;
    private final Map<Key, TokenBucket> buckets = new ConcurrentHashMap<>();

    public RateLimitBuckets(LongSupplier nanoClock) {
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /** @param owner {@link #listenerOwner} or {@link #routeOwner}, plus a descriptor suffix */
    record Key(String owner, TokenBucketConfig config) {}

    TokenBucket bucket(String owner, TokenBucketConfig config) {
        return buckets.computeIfAbsent(new Key(owner, config), k -> new TokenBucket(k.config(), nanoClock));
    }

    static String listenerOwner(String listener) {
        return "listener|" + listener;
    }

    static String routeOwner(String table, String virtualHost, Route route) {
        return "route|" + table + "|" + virtualHost + "|" + route.name() + "|" + route.match();
    }

    static String descriptorOwner(String owner, LocalRateLimitConfig.Descriptor descriptor) {
        return owner + "|" + descriptor.entries();
    }

    int size() {
        return buckets.size();
    }

    /** Drops the buckets no rate limit of {@code config} uses any more. */
    public void retainFor(WaypointConfig config) {
        Set<Key> live = new HashSet<>();
        for (ListenerConfig listener : config.listeners().values()) {
            var chains = listener.kind() instanceof ListenerConfig.Workloads workloads
                    ? workloads.byAddress().values()
                    : List.of(listener);
            for (ListenerConfig chain : chains) {
                if (chain.kind() instanceof ListenerConfig.Http http) {
                    http.localRateLimit().ifPresent(l -> addKeys(live, listenerOwner(chain.name()), l));
                }
            }
        }
        for (RouteTable table : config.routes().values()) {
            for (VirtualHost vh : table.virtualHosts()) {
                for (Route route : vh.routes()) {
                    route.localRateLimit().ifPresent(l -> addKeys(live, routeOwner(table.name(), vh.name(), route), l));
                }
            }
        }
        buckets.keySet().retainAll(live);
    }

    private static void addKeys(Set<Key> live, String owner, LocalRateLimitConfig config) {
        config.tokenBucket().ifPresent(b -> live.add(new Key(owner, b)));
        for (LocalRateLimitConfig.Descriptor d : config.descriptors()) {
            live.add(new Key(descriptorOwner(owner, d), d.tokenBucket()));
        }
    }
}
