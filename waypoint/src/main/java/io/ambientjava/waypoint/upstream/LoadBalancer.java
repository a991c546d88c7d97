package io.ambientjava.waypoint.upstream;

import io.ambientjava.waypoint.config.LbPolicy;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/** Picks one host among candidates by a cluster's {@code lb_policy}. */
final class LoadBalancer {

    private final AtomicInteger next =
            new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 16));

    HostState pick(LbPolicy policy, List<HostState> candidates, OptionalLong hash) {
        if (candidates.size() == 1) {
            return candidates.getFirst();
        }
        return switch (policy) {
            case ROUND_ROBIN -> candidates.get(Math.floorMod(next.getAndIncrement(), candidates.size()));
            case RANDOM -> weightedRandom(candidates);
            case LEAST_REQUEST -> leastRequest(candidates);
            case RING_HASH, MAGLEV ->
                hash.isPresent() ? rendezvous(candidates, hash.getAsLong()) : weightedRandom(candidates);
            case CLUSTER_PROVIDED -> candidates.getFirst(); // an original-destination cluster has one host per pick
        };
    }

    private static HostState weightedRandom(List<HostState> candidates) {
        int total = 0;
        for (HostState h : candidates) {
            total += h.endpoint.weight();
        }
        int roll = ThreadLocalRandom.current().nextInt(total);
        for (HostState h : candidates) {
            roll -= h.endpoint.weight();
            if (roll < 0) {
                return h;
            }
        }
        return candidates.getLast();
    }

    /** Envoy's default: the less loaded of two random hosts (power of two choices). */
    private static HostState leastRequest(List<HostState> candidates) {
        var random = ThreadLocalRandom.current();
        HostState a = candidates.get(random.nextInt(candidates.size()));
        HostState b = candidates.get(random.nextInt(candidates.size()));
        return b.activeRequests() < a.activeRequests() ? b : a;
    }

    /**
     * Highest-random-weight hashing: every key keeps its host while the host set is unchanged, and only keys of a
     * removed host move. It has the property ring hash and Maglev exist for, without building a table.
     */
    private static HostState rendezvous(List<HostState> candidates, long key) {
        HostState best = null;
        long bestScore = Long.MIN_VALUE;
        for (HostState h : candidates) {
            long score = mix(key ^ mix(h.endpoint.address().toString().hashCode()));
            if (best == null || score > bestScore) {
                best = h;
                bestScore = score;
            }
        }
        return best;
    }

    static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
