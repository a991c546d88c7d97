package io.ambientjava.waypoint.upstream;

import io.ambientjava.waypoint.config.LbPolicy;
import io.ambientjava.waypoint.config.SlowStart;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/** Picks one host among candidates by a cluster's {@code lb_policy}. */
final class LoadBalancer {

    private final AtomicInteger next =
            new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 16));

    HostState pick(LbPolicy policy, List<HostState> candidates, OptionalLong hash) {
        return pick(policy, candidates, hash, Optional.empty());
    }

    /**
     * @param slowStart for ROUND_ROBIN and LEAST_REQUEST: hosts that joined within its window weigh less. When hosts
     *     weigh differently (their weights, or slow start), round robin picks by weight at random and least request
     *     by weight over active requests, as Envoy's weighted variants share the load.
     */
    HostState pick(LbPolicy policy, List<HostState> candidates, OptionalLong hash, Optional<SlowStart> slowStart) {
        if (candidates.size() == 1) {
            return candidates.getFirst();
        }
        if (policy == LbPolicy.ROUND_ROBIN || policy == LbPolicy.LEAST_REQUEST) {
            long now = System.nanoTime();
            if (weighsDifferently(candidates, slowStart, now)) {
                double[] weights = effectiveWeights(candidates, slowStart, now);
                return policy == LbPolicy.ROUND_ROBIN
                        ? candidates.get(weightedIndex(weights))
                        : weightedLeastRequest(candidates, weights);
            }
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

    private static boolean weighsDifferently(List<HostState> candidates, Optional<SlowStart> slowStart, long now) {
        int first = candidates.getFirst().endpoint.weight();
        long windowNanos = slowStart.isPresent() ? slowStart.get().window().toNanos() : 0;
        for (HostState h : candidates) {
            if (h.endpoint.weight() != first || now - h.joinedNanos < windowNanos) {
                return true;
            }
        }
        return false;
    }

    private static double[] effectiveWeights(List<HostState> candidates, Optional<SlowStart> slowStart, long now) {
        SlowStart ramp = slowStart.orElse(null);
        double[] weights = new double[candidates.size()];
        for (int i = 0; i < weights.length; i++) {
            HostState h = candidates.get(i);
            weights[i] = h.endpoint.weight() * (ramp == null ? 1.0 : ramp.factor(now - h.joinedNanos));
        }
        return weights;
    }

    private static int weightedIndex(double[] weights) {
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double roll = ThreadLocalRandom.current().nextDouble(total);
        for (int i = 0; i < weights.length; i++) {
            roll -= weights[i];
            if (roll < 0) {
                return i;
            }
        }
        return weights.length - 1;
    }

    /**
     * Envoy's weighted least request (with its default active-request bias of 1): each host weighs
     * {@code weight / (active requests + 1)}, so idle hosts share by weight and busy ones lose share.
     */
    private static HostState weightedLeastRequest(List<HostState> candidates, double[] weights) {
        for (int i = 0; i < weights.length; i++) {
            weights[i] /= candidates.get(i).activeRequests() + 1;
        }
        return candidates.get(weightedIndex(weights));
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
