package io.ambientjava.waypoint.config;

/**
 * Envoy's {@code Cluster.LbPolicy} values the waypoint implements; RING_HASH and MAGLEV hash consistently.
 * CLUSTER_PROVIDED belongs to an {@code ORIGINAL_DST} cluster, whose one host is the connection's own destination.
 */
public enum LbPolicy {
    ROUND_ROBIN,
    LEAST_REQUEST,
    RANDOM,
    RING_HASH,
    MAGLEV,
    CLUSTER_PROVIDED;

    public boolean consistentHash() {
        return this == RING_HASH || this == MAGLEV;
    }
}
