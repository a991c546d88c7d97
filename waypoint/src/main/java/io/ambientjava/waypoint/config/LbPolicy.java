package io.ambientjava.waypoint.config;

/** Envoy's {@code Cluster.LbPolicy} values the waypoint implements; RING_HASH and MAGLEV hash consistently. */
public enum LbPolicy {
    ROUND_ROBIN,
    LEAST_REQUEST,
    RANDOM,
    RING_HASH,
    MAGLEV;

    public boolean consistentHash() {
        return this == RING_HASH || this == MAGLEV;
    }
}
