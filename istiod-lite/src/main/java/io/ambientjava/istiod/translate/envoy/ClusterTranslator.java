package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import io.ambientjava.istiod.config.IstioDurations;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.type.v3.Percent;
import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHash;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBMaglev;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsSimple;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicyRetryBudget;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One Envoy {@link Cluster} ({@code type: EDS} over ADS) from the traffic policy in effect for it:
 * {@code loadBalancer.simple} → {@code lb_policy}; {@code consistentHash} → {@code RING_HASH} (or {@code MAGLEV});
 * {@code connectionPool} → {@code circuit_breakers.thresholds[0]} (unset limits are Istio's "unlimited", 2^32-1),
 * {@code connect_timeout} (Istio's default 10s), {@code common_http_protocol_options}; {@code retryBudget} →
 * {@code circuit_breakers.thresholds[0].retry_budget} (Istio's defaults: 20 %, at least 3); {@code outlierDetection} →
 * {@code outlier_detection} with success-rate ejection off, as Istio configures it.
 */
final class ClusterTranslator {

    static final Duration DEFAULT_CONNECT_TIMEOUT =
            Duration.newBuilder().setSeconds(10).build();
    private static final int UNLIMITED = -1; // 2^32-1 as an unsigned 32-bit value
    private static final double DEFAULT_RETRY_BUDGET_PERCENT = 20.0;
    private static final long DEFAULT_MIN_RETRY_CONCURRENCY = 3;

    private ClusterTranslator() {}

    static ConfigSource ads() {
        return ConfigSource.newBuilder()
                .setAds(AggregatedConfigSource.getDefaultInstance())
                .setResourceApiVersion(ApiVersion.V3)
                .build();
    }

    static Cluster translate(String name, TrafficPolicies policy, Consumer<String> warn) {
        Cluster.Builder cluster = Cluster.newBuilder()
                .setName(name)
                .setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
                        .setEdsConfig(ads())
                        .setServiceName(name))
                .setConnectTimeout(DEFAULT_CONNECT_TIMEOUT)
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
        loadBalancer(cluster, policy.loadBalancer(), warn);
        warmup(cluster, policy.loadBalancer(), warn);
        connectionPool(cluster, policy.connectionPool(), policy.retryBudget(), warn);
        if (policy.outlierDetection() != null) {
            cluster.setOutlierDetection(outlierDetection(policy.outlierDetection(), warn));
            minHealth(cluster, policy.outlierDetection().getMinHealthPercent());
        }
        return cluster.build();
    }

    private static void loadBalancer(Cluster.Builder cluster, LoadBalancerSettings lb, Consumer<String> warn) {
        if (lb == null || lb.getLbPolicy() == null) {
            return;
        }
        switch (lb.getLbPolicy()) {
            case LoadBalancerSettingsSimple simple
            when simple.getSimple() != null -> {
                switch (simple.getSimple()) {
                    case LEAST_CONN, LEAST_REQUEST -> cluster.setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST);
                    case RANDOM -> cluster.setLbPolicy(Cluster.LbPolicy.RANDOM);
                    case PASSTHROUGH ->
                        warn.accept("loadBalancer.simple PASSTHROUGH is not supported at a waypoint; ROUND_ROBIN used");
                    default -> cluster.setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
                }
            }
            case LoadBalancerSettingsConsistentHash hash
            when hash.getConsistentHash() != null -> {
                var consistent = hash.getConsistentHash();
                if (consistent.getHashAlgorithm() instanceof LoadBalancerSettingsConsistentHashLBMaglev maglev) {
                    Cluster.MaglevLbConfig.Builder config = Cluster.MaglevLbConfig.newBuilder();
                    if (maglev.getMaglev() != null && maglev.getMaglev().getTableSize() != null) {
                        config.setTableSize(UInt64Value.of(maglev.getMaglev().getTableSize()));
                    }
                    cluster.setLbPolicy(Cluster.LbPolicy.MAGLEV).setMaglevLbConfig(config);
                } else {
                    Cluster.RingHashLbConfig.Builder config = Cluster.RingHashLbConfig.newBuilder();
                    if (consistent.getMinimumRingSize() != null && consistent.getMinimumRingSize() > 0) {
                        config.setMinimumRingSize(UInt64Value.of(consistent.getMinimumRingSize()));
                    }
                    cluster.setLbPolicy(Cluster.LbPolicy.RING_HASH).setRingHashLbConfig(config);
                }
            }
            default -> {}
        }
    }

    /**
     * {@code loadBalancer.warmup} (or the older {@code warmupDurationSecs}) → the slow start of a ROUND_ROBIN or
     * LEAST_REQUEST cluster, with Istio's defaults (aggression 1, minimum weight 10 %); other policies have none.
     */
    private static void warmup(Cluster.Builder cluster, LoadBalancerSettings lb, Consumer<String> warn) {
        if (lb == null || (lb.getWarmup() == null && lb.getWarmupDurationSecs() == null)) {
            return;
        }
        Cluster.SlowStartConfig.Builder slowStart = Cluster.SlowStartConfig.newBuilder();
        if (lb.getWarmup() != null) {
            var warmup = lb.getWarmup();
            IstioDurations.parse(warmup.getDuration()).ifPresent(slowStart::setSlowStartWindow);
            slowStart.setAggression(io.envoyproxy.envoy.config.core.v3.RuntimeDouble.newBuilder()
                    .setDefaultValue(warmup.getAggression() == null ? 1.0 : warmup.getAggression()));
            slowStart.setMinWeightPercent(io.envoyproxy.envoy.type.v3.Percent.newBuilder()
                    .setValue(warmup.getMinimumPercent() == null ? 10.0 : warmup.getMinimumPercent()));
        } else {
            IstioDurations.parse(lb.getWarmupDurationSecs()).ifPresent(slowStart::setSlowStartWindow);
        }
        if (!slowStart.hasSlowStartWindow()) {
            warn.accept("loadBalancer.warmup without a duration is not applied");
            return;
        }
        switch (cluster.getLbPolicy()) {
            case ROUND_ROBIN ->
                cluster.setRoundRobinLbConfig(
                        Cluster.RoundRobinLbConfig.newBuilder().setSlowStartConfig(slowStart));
            case LEAST_REQUEST ->
                cluster.setLeastRequestLbConfig(
                        Cluster.LeastRequestLbConfig.newBuilder().setSlowStartConfig(slowStart));
            default ->
                warn.accept("loadBalancer.warmup applies to ROUND_ROBIN and LEAST_REQUEST only; not to "
                        + cluster.getLbPolicy());
        }
    }

    private static void connectionPool(
            Cluster.Builder cluster,
            ConnectionPoolSettings pool,
            TrafficPolicyRetryBudget retryBudget,
            Consumer<String> warn) {
        CircuitBreakers.Thresholds.Builder thresholds = CircuitBreakers.Thresholds.newBuilder()
                .setPriority(RoutingPriority.DEFAULT)
                .setMaxConnections(UInt32Value.of(UNLIMITED))
                .setMaxPendingRequests(UInt32Value.of(UNLIMITED))
                .setMaxRequests(UInt32Value.of(UNLIMITED))
                .setMaxRetries(UInt32Value.of(UNLIMITED));
        HttpProtocolOptions.Builder http = HttpProtocolOptions.newBuilder();
        boolean httpSet = false;
        if (pool != null && pool.getTcp() != null) {
            var tcp = pool.getTcp();
            positive(tcp.getMaxConnections()).ifPresent(v -> thresholds.setMaxConnections(UInt32Value.of(v)));
            IstioDurations.parse(tcp.getConnectTimeout()).ifPresent(cluster::setConnectTimeout);
            IstioDurations.parse(tcp.getMaxConnectionDuration()).ifPresent(http::setMaxConnectionDuration);
            httpSet |= tcp.getMaxConnectionDuration() != null;
            if (tcp.getTcpKeepalive() != null) {
                cluster.setUpstreamConnectionOptions(
                        io.envoyproxy.envoy.config.cluster.v3.UpstreamConnectionOptions.newBuilder()
                                .setTcpKeepalive(tcpKeepalive(tcp.getTcpKeepalive())));
            }
        }
        if (pool != null && pool.getHttp() != null) {
            var h = pool.getHttp();
            positive(h.getHttp1MaxPendingRequests())
                    .ifPresent(v -> thresholds.setMaxPendingRequests(UInt32Value.of(v)));
            positive(h.getHttp2MaxRequests()).ifPresent(v -> thresholds.setMaxRequests(UInt32Value.of(v)));
            positive(h.getMaxRetries()).ifPresent(v -> thresholds.setMaxRetries(UInt32Value.of(v)));
            if (positive(h.getMaxRequestsPerConnection()).isPresent()) {
                http.setMaxRequestsPerConnection(UInt32Value.of(h.getMaxRequestsPerConnection()));
                httpSet = true;
            }
            if (h.getIdleTimeout() != null) {
                IstioDurations.parse(h.getIdleTimeout()).ifPresent(http::setIdleTimeout);
                httpSet = true;
            }
        }
        // Istio: without http.idleTimeout, tcp.idleTimeout closes idle upstream connections too
        boolean httpIdleSet =
                pool != null && pool.getHttp() != null && pool.getHttp().getIdleTimeout() != null;
        if (!httpIdleSet
                && pool != null
                && pool.getTcp() != null
                && pool.getTcp().getIdleTimeout() != null) {
            IstioDurations.parse(pool.getTcp().getIdleTimeout()).ifPresent(http::setIdleTimeout);
            httpSet = true;
        }
        if (retryBudget != null) {
            thresholds.setRetryBudget(retryBudget(retryBudget));
        }
        cluster.setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(thresholds));
        if (httpSet) {
            cluster.setCommonHttpProtocolOptions(http);
        }
    }

    /**
     * As Istio: SO_KEEPALIVE with the kernel's defaults, then the rule's {@code probes}, {@code time} and
     * {@code interval} (whole seconds) where set.
     */
    private static io.envoyproxy.envoy.config.core.v3.TcpKeepalive tcpKeepalive(
            io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettingsTCPSettingsTcpKeepalive keepalive) {
        var out = io.envoyproxy.envoy.config.core.v3.TcpKeepalive.newBuilder();
        if (keepalive.getProbes() != null && keepalive.getProbes() > 0) {
            out.setKeepaliveProbes(UInt32Value.of(keepalive.getProbes().intValue()));
        }
        IstioDurations.parse(keepalive.getTime())
                .ifPresent(d -> out.setKeepaliveTime(UInt32Value.of((int) d.getSeconds())));
        IstioDurations.parse(keepalive.getInterval())
                .ifPresent(d -> out.setKeepaliveInterval(UInt32Value.of((int) d.getSeconds())));
        return out.build();
    }

    /**
     * Istio's retry budget: at most {@code percent} of the active requests may be retries, but never fewer than
     * {@code minRetryConcurrency} at once; it replaces {@code maxRetries} where set. Validation has refused values
     * out of range.
     */
    private static CircuitBreakers.Thresholds.RetryBudget retryBudget(TrafficPolicyRetryBudget budget) {
        double percent = budget.getPercent() == null ? DEFAULT_RETRY_BUDGET_PERCENT : budget.getPercent();
        long min = budget.getMinRetryConcurrency() == null
                ? DEFAULT_MIN_RETRY_CONCURRENCY
                : budget.getMinRetryConcurrency();
        return CircuitBreakers.Thresholds.RetryBudget.newBuilder()
                .setBudgetPercent(Percent.newBuilder().setValue(percent))
                .setMinRetryConcurrency(UInt32Value.of((int) min))
                .build();
    }

    private static OutlierDetection outlierDetection(
            io.fabric8.istio.api.api.networking.v1alpha3.OutlierDetection outlier, Consumer<String> warn) {
        OutlierDetection.Builder out = OutlierDetection.newBuilder()
                // Istio turns success-rate ejection off; only consecutive errors eject.
                .setEnforcingSuccessRate(UInt32Value.of(0));
        Integer consecutive5xx = outlier.getConsecutive5xxErrors();
        if (consecutive5xx == null && outlier.getConsecutiveErrors() != null) {
            warn.accept("outlierDetection.consecutiveErrors is deprecated; read as consecutive5xxErrors");
            consecutive5xx = outlier.getConsecutiveErrors();
        }
        if (consecutive5xx != null) {
            out.setConsecutive5Xx(UInt32Value.of(consecutive5xx))
                    .setEnforcingConsecutive5Xx(UInt32Value.of(consecutive5xx > 0 ? 100 : 0));
        } else {
            out.setEnforcingConsecutive5Xx(UInt32Value.of(0));
        }
        if (outlier.getConsecutiveGatewayErrors() != null) {
            out.setConsecutiveGatewayFailure(UInt32Value.of(outlier.getConsecutiveGatewayErrors()))
                    .setEnforcingConsecutiveGatewayFailure(
                            UInt32Value.of(outlier.getConsecutiveGatewayErrors() > 0 ? 100 : 0));
        }
        if (outlier.getConsecutiveLocalOriginFailures() != null) {
            out.setConsecutiveLocalOriginFailure(UInt32Value.of(outlier.getConsecutiveLocalOriginFailures()))
                    .setEnforcingConsecutiveLocalOriginFailure(UInt32Value.of(100));
        }
        if (outlier.getSplitExternalLocalOriginErrors() != null) {
            out.setSplitExternalLocalOriginErrors(outlier.getSplitExternalLocalOriginErrors());
        }
        IstioDurations.parse(outlier.getInterval()).ifPresent(out::setInterval);
        IstioDurations.parse(outlier.getBaseEjectionTime()).ifPresent(out::setBaseEjectionTime);
        if (outlier.getMaxEjectionPercent() != null) {
            out.setMaxEjectionPercent(UInt32Value.of(outlier.getMaxEjectionPercent()));
        }
        return out.build();
    }

    /** Istio's minHealthPercent is Envoy's panic threshold, which lives on the cluster, not in outlier detection. */
    private static void minHealth(Cluster.Builder cluster, Integer percent) {
        if (percent != null) {
            cluster.getCommonLbConfigBuilder()
                    .setHealthyPanicThreshold(Percent.newBuilder().setValue(percent));
        }
    }

    private static Optional<Integer> positive(Integer value) {
        return value != null && value > 0 ? Optional.of(value) : Optional.empty();
    }
}
