package io.ambientjava.waypoint.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.waypoint.config.EndpointConfig;
import io.ambientjava.waypoint.config.LbPolicy;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class LoadBalancerTest {

    private static HostState host(int port) {
        return new HostState(new EndpointConfig(
                new InetSocketAddress("198.18.0.1", port), 1, true, false, Optional.empty(), Optional.empty()));
    }

    @Test
    void leastRequestPrefersTheLessLoadedOfTwoChoices() {
        HostState busy = host(1);
        HostState idle1 = host(2);
        HostState idle2 = host(3);
        for (int i = 0; i < 5; i++) {
            busy.activeRequestsIncrement();
        }
        var lb = new LoadBalancer();
        Map<HostState, Integer> picks = new HashMap<>();
        for (int i = 0; i < 9000; i++) {
            picks.merge(
                    lb.pick(LbPolicy.LEAST_REQUEST, List.of(busy, idle1, idle2), OptionalLong.empty()),
                    1,
                    Integer::sum);
        }
        // The busy host wins only when both choices are it: 1/9 of the time.
        assertThat(picks.get(busy)).isBetween(700, 1300);
    }

    @Test
    void consistentHashMovesOnlyTheKeysOfARemovedHost() {
        List<HostState> three = List.of(host(1), host(2), host(3));
        List<HostState> two = List.of(three.get(0), three.get(1));
        var lb = new LoadBalancer();
        int moved = 0;
        for (long key = 0; key < 3000; key++) {
            HostState before = lb.pick(LbPolicy.RING_HASH, three, OptionalLong.of(key));
            HostState after = lb.pick(LbPolicy.RING_HASH, two, OptionalLong.of(key));
            if (before != three.get(2) && before != after) {
                moved++;
            }
        }
        assertThat(moved).isZero();
    }

    @Test
    void clusterPanicsToAllHostsWhenEveryHostIsEjected() {
        var config = io.ambientjava.waypoint.config.ClusterTranslator.translate(
                io.envoyproxy.envoy.config.cluster.v3.Cluster.newBuilder()
                        .setName("c")
                        .setType(io.envoyproxy.envoy.config.cluster.v3.Cluster.DiscoveryType.EDS)
                        .build());
        var runtime = new ClusterRuntime(config, null);
        runtime.update(
                config,
                List.of(new EndpointConfig(
                        new InetSocketAddress("198.18.0.1", 80), 1, false, false, Optional.empty(), Optional.empty())));
        assertThat(runtime.pick(OptionalLong.empty(), java.util.Set.of())).isNotNull();
    }

    private static io.ambientjava.waypoint.config.OutlierConfig outlier(boolean split) {
        return new io.ambientjava.waypoint.config.OutlierConfig(
                3,
                0,
                100,
                0,
                java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(30),
                java.time.Duration.ofSeconds(300),
                100,
                split,
                2,
                100);
    }

    @Test
    void localOriginFailuresCountApartWhenSplit() {
        HostState h = host(1);
        HostState other = host(2);
        var detector = new OutlierDetector(Optional.of(outlier(true)), System::nanoTime);
        detector.record(h, 503, List.of(h, other));
        detector.record(h, 503, List.of(h, other));
        detector.record(h, 0, List.of(h, other)); // a connect failure: not a 5xx when split
        assertThat(h.isEjected(System.nanoTime())).isFalse();
        detector.record(h, 0, List.of(h, other)); // second local-origin failure in a row: ejected
        assertThat(h.isEjected(System.nanoTime())).isTrue();

        HostState unsplit = host(3);
        var plain = new OutlierDetector(Optional.of(outlier(false)), System::nanoTime);
        plain.record(unsplit, 503, List.of(unsplit, other));
        plain.record(unsplit, 503, List.of(unsplit, other));
        plain.record(unsplit, 0, List.of(unsplit, other)); // counts as a 5xx: third in a row
        assertThat(unsplit.isEjected(System.nanoTime())).isTrue();
    }

    @Test
    void panicThresholdZeroMeansNoHealthyUpstream() {
        var cluster = io.envoyproxy.envoy.config.cluster.v3.Cluster.newBuilder()
                .setName("c")
                .setType(io.envoyproxy.envoy.config.cluster.v3.Cluster.DiscoveryType.EDS)
                .setCommonLbConfig(io.envoyproxy.envoy.config.cluster.v3.Cluster.CommonLbConfig.newBuilder()
                        .setHealthyPanicThreshold(
                                io.envoyproxy.envoy.type.v3.Percent.newBuilder().setValue(0)))
                .build();
        var config = io.ambientjava.waypoint.config.ClusterTranslator.translate(cluster);
        var runtime = new ClusterRuntime(config, null);
        runtime.update(
                config,
                List.of(new EndpointConfig(
                        new InetSocketAddress("198.18.0.1", 80), 1, false, false, Optional.empty(), Optional.empty())));
        assertThat(runtime.pick(OptionalLong.empty(), java.util.Set.of())).isNull();
    }

    private static HostState host(int port, int weight, long joinedNanos) {
        return new HostState(
                new EndpointConfig(
                        new InetSocketAddress("198.18.0.1", port),
                        weight,
                        true,
                        false,
                        Optional.empty(),
                        Optional.empty()),
                joinedNanos);
    }

    private static Map<HostState, Integer> picks(
            LbPolicy policy, List<HostState> hosts, Optional<io.ambientjava.waypoint.config.SlowStart> slowStart) {
        var lb = new LoadBalancer();
        Map<HostState, Integer> picks = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
            picks.merge(lb.pick(policy, hosts, OptionalLong.empty(), slowStart), 1, Integer::sum);
        }
        return picks;
    }

    @Test
    void roundRobinAndLeastRequestFollowEndpointWeights() {
        long long_ago = System.nanoTime() - java.util.concurrent.TimeUnit.HOURS.toNanos(1);
        HostState heavy = host(1, 3, long_ago);
        HostState light = host(2, 1, long_ago);
        for (LbPolicy policy : List.of(LbPolicy.ROUND_ROBIN, LbPolicy.LEAST_REQUEST)) {
            var picks = picks(policy, List.of(heavy, light), Optional.empty());
            assertThat(picks.get(heavy)).as(policy.name()).isBetween(7_000, 8_000); // 3 in 4
        }
    }

    @Test
    void aHostInSlowStartGetsItsMinimumShareAtFirstAndItsWholeWeightAfterTheWindow() {
        var slowStart =
                Optional.of(new io.ambientjava.waypoint.config.SlowStart(java.time.Duration.ofMinutes(10), 1.0, 0.1));
        long now = System.nanoTime();
        HostState old = host(1, 1, now - java.util.concurrent.TimeUnit.HOURS.toNanos(1));
        HostState fresh = host(2, 1, now);
        for (LbPolicy policy : List.of(LbPolicy.ROUND_ROBIN, LbPolicy.LEAST_REQUEST)) {
            // 0.1 against 1: about 1 in 11
            assertThat(picks(policy, List.of(old, fresh), slowStart).getOrDefault(fresh, 0))
                    .as(policy.name())
                    .isBetween(600, 1_300);
        }
        HostState halfway = host(3, 1, now - java.util.concurrent.TimeUnit.MINUTES.toNanos(5));
        assertThat(picks(LbPolicy.ROUND_ROBIN, List.of(old, halfway), slowStart).get(halfway))
                .as("linear ramp (aggression 1): half its weight halfway through, 1 in 3")
                .isBetween(2_900, 3_800);
        assertThat(picks(LbPolicy.ROUND_ROBIN, List.of(old, fresh), Optional.empty())
                        .get(fresh))
                .as("without slow start a new host gets its share at once")
                .isBetween(4_500, 5_500);
    }

    @Test
    void slowStartFactorFollowsEnvoysFormula() {
        var aggressive = new io.ambientjava.waypoint.config.SlowStart(java.time.Duration.ofSeconds(100), 2.0, 0.05);
        long second = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
        assertThat(aggressive.factor(0)).isEqualTo(0.05);
        assertThat(aggressive.factor(25 * second)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(aggressive.factor(100 * second)).isEqualTo(1.0);
    }
}
