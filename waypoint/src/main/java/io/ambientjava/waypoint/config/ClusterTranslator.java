package io.ambientjava.waypoint.config;

import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Envoy's {@code Cluster} to a {@link ClusterConfig}, refusing what the waypoint does not implement. */
public final class ClusterTranslator {

    private ClusterTranslator() {}

    /** Deprecated Envoy fields are read on purpose: control planes (Istio too) still send them. */
    @SuppressWarnings("deprecation")
    private static Optional<TcpKeepalive> tcpKeepalive(Cluster c, String path) {
        if (!c.hasUpstreamConnectionOptions()) {
            return Optional.empty();
        }
        String opath = path + ".upstream_connection_options";
        FieldGuard.onlyFields(c.getUpstreamConnectionOptions(), opath, Set.of("tcp_keepalive"));
        if (!c.getUpstreamConnectionOptions().hasTcpKeepalive()) {
            return Optional.empty();
        }
        var k = c.getUpstreamConnectionOptions().getTcpKeepalive();
        String kpath = opath + ".tcp_keepalive";
        FieldGuard.onlyFields(k, kpath, Set.of("keepalive_probes", "keepalive_time", "keepalive_interval"));
        return Optional.of(new TcpKeepalive(
                k.hasKeepaliveProbes()
                        ? Optional.of(positive(k.getKeepaliveProbes().getValue(), kpath + ".keepalive_probes"))
                        : Optional.empty(),
                k.hasKeepaliveTime()
                        ? Optional.of(positive(k.getKeepaliveTime().getValue(), kpath + ".keepalive_time"))
                        : Optional.empty(),
                k.hasKeepaliveInterval()
                        ? Optional.of(positive(k.getKeepaliveInterval().getValue(), kpath + ".keepalive_interval"))
                        : Optional.empty()));
    }

    /** A count or a number of seconds the kernel takes: 1 up to 32767 (Linux's limit for keepalive settings). */
    private static int positive(int value, String path) {
        if (value < 1 || value > 32767) {
            throw FieldGuard.invalid(path, "must be 1..32767, was " + Integer.toUnsignedString(value));
        }
        return value;
    }

    /** The slow start of a ROUND_ROBIN or LEAST_REQUEST cluster's own lb config; another config is refused. */
    private static Optional<SlowStart> slowStart(Cluster c, LbPolicy lb, String path) {
        io.envoyproxy.envoy.config.cluster.v3.Cluster.SlowStartConfig config;
        String cpath;
        if (c.hasRoundRobinLbConfig()) {
            cpath = path + ".round_robin_lb_config";
            if (lb != LbPolicy.ROUND_ROBIN) {
                throw FieldGuard.invalid(cpath, "is for a ROUND_ROBIN cluster, this one is " + lb);
            }
            FieldGuard.onlyFields(c.getRoundRobinLbConfig(), cpath, Set.of("slow_start_config"));
            config = c.getRoundRobinLbConfig().getSlowStartConfig();
        } else if (c.hasLeastRequestLbConfig()) {
            cpath = path + ".least_request_lb_config";
            if (lb != LbPolicy.LEAST_REQUEST) {
                throw FieldGuard.invalid(cpath, "is for a LEAST_REQUEST cluster, this one is " + lb);
            }
            FieldGuard.onlyFields(c.getLeastRequestLbConfig(), cpath, Set.of("slow_start_config"));
            config = c.getLeastRequestLbConfig().getSlowStartConfig();
        } else {
            return Optional.empty();
        }
        String spath = cpath + ".slow_start_config";
        FieldGuard.onlyFields(config, spath, Set.of("slow_start_window", "aggression", "min_weight_percent"));
        if (!config.hasSlowStartWindow()) {
            return Optional.empty(); // Envoy: no window, no slow start
        }
        Duration window = ProtoValues.duration(config.getSlowStartWindow());
        if (window.isNegative() || window.isZero()) {
            throw FieldGuard.invalid(spath + ".slow_start_window", "must be positive, was " + window);
        }
        double aggression = config.hasAggression() ? config.getAggression().getDefaultValue() : 1.0;
        if (!(aggression > 0)) {
            throw FieldGuard.invalid(spath + ".aggression", "must be above 0, was " + aggression);
        }
        double minPercent =
                config.hasMinWeightPercent() ? config.getMinWeightPercent().getValue() : 10.0;
        if (!(minPercent >= 0 && minPercent <= 100)) {
            throw FieldGuard.invalid(spath + ".min_weight_percent", "must be 0..100, was " + minPercent);
        }
        return Optional.of(new SlowStart(window, aggression, minPercent / 100));
    }

    public static ClusterConfig translate(Cluster c) {
        String path = "Cluster " + c.getName();
        FieldGuard.onlyFields(
                c,
                path,
                Set.of(
                        "name",
                        "type",
                        "eds_cluster_config",
                        "connect_timeout",
                        "lb_policy",
                        "circuit_breakers",
                        "outlier_detection",
                        "common_http_protocol_options",
                        "http2_protocol_options",
                        "ring_hash_lb_config",
                        "maglev_lb_config",
                        "round_robin_lb_config",
                        "least_request_lb_config",
                        "upstream_connection_options",
                        "common_lb_config",
                        "transport_socket",
                        "load_assignment",
                        "dns_lookup_family",
                        "dns_refresh_rate",
                        "respect_dns_ttl"));
        boolean originalDestination = c.getType() == Cluster.DiscoveryType.ORIGINAL_DST;
        boolean dnsCluster =
                c.getType() == Cluster.DiscoveryType.STRICT_DNS || c.getType() == Cluster.DiscoveryType.LOGICAL_DNS;
        if (c.getType() != Cluster.DiscoveryType.EDS && !originalDestination && !dnsCluster) {
            throw FieldGuard.invalid(
                    path + ".type",
                    "only EDS, ORIGINAL_DST, STRICT_DNS and LOGICAL_DNS are supported, was " + c.getType());
        }
        if (originalDestination != (c.getLbPolicy() == Cluster.LbPolicy.CLUSTER_PROVIDED)) {
            throw FieldGuard.invalid(
                    path + ".lb_policy",
                    originalDestination
                            ? "an ORIGINAL_DST cluster needs CLUSTER_PROVIDED, was " + c.getLbPolicy()
                            : "CLUSTER_PROVIDED is only for ORIGINAL_DST clusters");
        }
        if (originalDestination && c.hasEdsClusterConfig()) {
            throw FieldGuard.invalid(path + ".eds_cluster_config", "an ORIGINAL_DST cluster has no EDS config");
        }
        if (dnsCluster && c.hasEdsClusterConfig()) {
            throw FieldGuard.invalid(
                    path + ".eds_cluster_config",
                    "a " + c.getType() + " cluster has no EDS config: its endpoints are the names of its"
                            + " load_assignment");
        }
        Optional<DnsDiscovery> dns = dnsCluster ? Optional.of(dns(c, path)) : Optional.empty();
        if (!dnsCluster) {
            refuseDnsFields(c, path);
        }
        if (c.hasEdsClusterConfig()) {
            var eds = c.getEdsClusterConfig();
            FieldGuard.onlyFields(eds, path + ".eds_cluster_config", Set.of("eds_config", "service_name"));
            if (eds.hasEdsConfig() && !eds.getEdsConfig().hasAds()) {
                throw FieldGuard.invalid(path + ".eds_cluster_config.eds_config", "only ads is supported");
            }
            if (!eds.getServiceName().isEmpty() && !eds.getServiceName().equals(c.getName())) {
                throw FieldGuard.invalid(
                        path + ".eds_cluster_config.service_name", "must be empty or the cluster's own name");
            }
        }
        LbPolicy lb = switch (c.getLbPolicy()) {
            case ROUND_ROBIN -> LbPolicy.ROUND_ROBIN;
            case LEAST_REQUEST -> LbPolicy.LEAST_REQUEST;
            case RANDOM -> LbPolicy.RANDOM;
            case RING_HASH -> LbPolicy.RING_HASH;
            case MAGLEV -> LbPolicy.MAGLEV;
            case CLUSTER_PROVIDED -> LbPolicy.CLUSTER_PROVIDED;
            default -> throw FieldGuard.invalid(path + ".lb_policy", c.getLbPolicy() + " is not supported");
        };
        if (c.hasRingHashLbConfig()) {
            FieldGuard.onlyFields(
                    c.getRingHashLbConfig(),
                    path + ".ring_hash_lb_config",
                    Set.of("minimum_ring_size", "maximum_ring_size"));
        }
        Optional<SlowStart> slowStart = slowStart(c, lb, path);
        if (c.hasMaglevLbConfig()) {
            FieldGuard.onlyFields(c.getMaglevLbConfig(), path + ".maglev_lb_config", Set.of("table_size"));
        }
        int http2MaxConcurrentStreams = ClusterConfig.DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS;
        if (c.hasHttp2ProtocolOptions()) {
            var h2 = c.getHttp2ProtocolOptions();
            String h2path = path + ".http2_protocol_options";
            FieldGuard.onlyFields(h2, h2path, Set.of("max_concurrent_streams"));
            if (h2.hasMaxConcurrentStreams()) {
                int streams = h2.getMaxConcurrentStreams().getValue();
                if (streams < 1) { // unsigned in the proto: above 2^31 - 1 reads as negative
                    throw FieldGuard.invalid(
                            h2path + ".max_concurrent_streams",
                            "must be between 1 and 2147483647, was " + Integer.toUnsignedString(streams));
                }
                http2MaxConcurrentStreams = streams;
            }
        }
        int maxRequestsPerConnection = 0;
        Duration idleTimeout = Duration.ofHours(1);
        Optional<Duration> maxConnectionDuration = Optional.empty();
        if (c.hasCommonHttpProtocolOptions()) {
            var o = c.getCommonHttpProtocolOptions();
            String opath = path + ".common_http_protocol_options";
            FieldGuard.onlyFields(
                    o, opath, Set.of("max_requests_per_connection", "idle_timeout", "max_connection_duration"));
            if (o.hasMaxConnectionDuration()) {
                Duration max = ProtoValues.duration(o.getMaxConnectionDuration());
                if (max.isNegative()) {
                    throw FieldGuard.invalid(opath + ".max_connection_duration", "must not be negative, was " + max);
                }
                // 0: no limit, as when unset
                maxConnectionDuration = max.isZero() ? Optional.empty() : Optional.of(max);
            }
            maxRequestsPerConnection = o.getMaxRequestsPerConnection().getValue();
            if (o.hasIdleTimeout()) {
                idleTimeout = ProtoValues.duration(o.getIdleTimeout());
                if (idleTimeout.isZero()) {
                    idleTimeout = Duration.ofDays(365); // 0 disables the timeout
                }
            }
        }
        double panicThreshold = 50.0;
        if (c.hasCommonLbConfig()) {
            FieldGuard.onlyFields(c.getCommonLbConfig(), path + ".common_lb_config", Set.of("healthy_panic_threshold"));
            if (c.getCommonLbConfig().hasHealthyPanicThreshold()) {
                panicThreshold =
                        c.getCommonLbConfig().getHealthyPanicThreshold().getValue();
            }
        }
        Duration connectTimeout =
                c.hasConnectTimeout() ? ProtoValues.duration(c.getConnectTimeout()) : Duration.ofSeconds(5);
        return new ClusterConfig(
                c.getName(),
                lb,
                connectTimeout,
                limits(c, path + ".circuit_breakers"),
                c.hasOutlierDetection()
                        ? Optional.of(outlier(c.getOutlierDetection(), path + ".outlier_detection"))
                        : Optional.empty(),
                maxRequestsPerConnection,
                c.hasHttp2ProtocolOptions(),
                http2MaxConcurrentStreams,
                idleTimeout,
                maxConnectionDuration,
                slowStart,
                tcpKeepalive(c, path),
                panicThreshold,
                c.hasTransportSocket()
                        ? Optional.of(
                                UpstreamTlsTranslator.translate(c.getTransportSocket(), path + ".transport_socket"))
                        : Optional.empty(),
                dns);
    }

    /** Envoy's {@code dns_refresh_rate} when none is given. */
    static final Duration DEFAULT_DNS_REFRESH_RATE = Duration.ofSeconds(5);

    /** A STRICT_DNS or LOGICAL_DNS cluster's names (its inline {@code load_assignment}) and how to resolve them. */
    private static DnsDiscovery dns(Cluster c, String path) {
        if (!c.hasLoadAssignment()) {
            throw FieldGuard.invalid(
                    path + ".load_assignment", "a " + c.getType() + " cluster needs its endpoints' names here");
        }
        List<DnsDiscovery.Target> targets =
                EndpointTranslator.dnsTargets(c.getLoadAssignment(), c.getName(), path + ".load_assignment");
        DnsDiscovery.LookupFamily family = switch (c.getDnsLookupFamily()) {
            case AUTO -> DnsDiscovery.LookupFamily.AUTO;
            case V4_ONLY -> DnsDiscovery.LookupFamily.V4_ONLY;
            case V6_ONLY -> DnsDiscovery.LookupFamily.V6_ONLY;
            case V4_PREFERRED -> DnsDiscovery.LookupFamily.V4_PREFERRED;
            case ALL -> DnsDiscovery.LookupFamily.ALL;
            default ->
                throw FieldGuard.invalid(path + ".dns_lookup_family", "unknown value " + c.getDnsLookupFamilyValue());
        };
        Duration refresh = DEFAULT_DNS_REFRESH_RATE;
        if (c.hasDnsRefreshRate()) {
            refresh = ProtoValues.duration(c.getDnsRefreshRate());
            if (refresh.compareTo(Duration.ofMillis(1)) <= 0) {
                throw FieldGuard.invalid(path + ".dns_refresh_rate", "must be more than 1ms, was " + refresh);
            }
        }
        return new DnsDiscovery(
                c.getType() == Cluster.DiscoveryType.LOGICAL_DNS, targets, refresh, c.getRespectDnsTtl(), family);
    }

    /** The DNS settings mean nothing to an EDS or ORIGINAL_DST cluster: refused, as any field not implemented. */
    private static void refuseDnsFields(Cluster c, String path) {
        String why = "only STRICT_DNS and LOGICAL_DNS clusters take it, this one is " + c.getType();
        if (c.hasLoadAssignment()) {
            throw FieldGuard.invalid(
                    path + ".load_assignment",
                    why
                            + (c.getType() == Cluster.DiscoveryType.EDS
                                    ? " (its endpoints come from a ClusterLoadAssignment of its own over EDS)"
                                    : ""));
        }
        if (c.getDnsLookupFamilyValue() != 0) {
            throw FieldGuard.invalid(path + ".dns_lookup_family", why);
        }
        if (c.hasDnsRefreshRate()) {
            throw FieldGuard.invalid(path + ".dns_refresh_rate", why);
        }
        if (c.getRespectDnsTtl()) {
            throw FieldGuard.invalid(path + ".respect_dns_ttl", why);
        }
    }

    private static CircuitBreakerLimits limits(Cluster c, String path) {
        if (!c.hasCircuitBreakers()) {
            return CircuitBreakerLimits.DEFAULTS;
        }
        CircuitBreakers cb = c.getCircuitBreakers();
        FieldGuard.onlyFields(cb, path, Set.of("thresholds"));
        CircuitBreakerLimits limits = CircuitBreakerLimits.DEFAULTS;
        for (int i = 0; i < cb.getThresholdsCount(); i++) {
            var t = cb.getThresholds(i);
            String tpath = path + ".thresholds[" + i + "]";
            FieldGuard.onlyFields(
                    t,
                    tpath,
                    Set.of(
                            "priority",
                            "max_connections",
                            "max_pending_requests",
                            "max_requests",
                            "max_retries",
                            "retry_budget"));
            if (t.getPriority() != RoutingPriority.DEFAULT) {
                throw FieldGuard.invalid(tpath + ".priority", "only DEFAULT is supported");
            }
            Optional<CircuitBreakerLimits.RetryBudget> budget = Optional.empty();
            if (t.hasRetryBudget()) {
                var b = t.getRetryBudget();
                FieldGuard.onlyFields(b, tpath + ".retry_budget", Set.of("budget_percent", "min_retry_concurrency"));
                budget = Optional.of(new CircuitBreakerLimits.RetryBudget(
                        b.hasBudgetPercent() ? b.getBudgetPercent().getValue() : 20.0,
                        b.hasMinRetryConcurrency() ? b.getMinRetryConcurrency().getValue() : 3));
            }
            limits = new CircuitBreakerLimits(
                    t.hasMaxConnections() ? unsigned(t.getMaxConnections().getValue()) : 1024,
                    t.hasMaxPendingRequests()
                            ? unsigned(t.getMaxPendingRequests().getValue())
                            : 1024,
                    t.hasMaxRequests() ? unsigned(t.getMaxRequests().getValue()) : 1024,
                    t.hasMaxRetries() ? unsigned(t.getMaxRetries().getValue()) : 3,
                    budget);
        }
        return limits;
    }

    /** A uint32 limit (Istio sends 4294967295 for "unlimited"), capped to what an int counter holds. */
    private static int unsigned(int value) {
        return (int) Math.min(Integer.toUnsignedLong(value), Integer.MAX_VALUE);
    }

    private static OutlierConfig outlier(OutlierDetection o, String path) {
        FieldGuard.onlyFields(
                o,
                path,
                Set.of(
                        "consecutive_5xx",
                        "consecutive_gateway_failure",
                        "enforcing_consecutive_5xx",
                        "enforcing_consecutive_gateway_failure",
                        "interval",
                        "base_ejection_time",
                        "max_ejection_time",
                        "max_ejection_percent",
                        "enforcing_success_rate",
                        "split_external_local_origin_errors",
                        "consecutive_local_origin_failure",
                        "enforcing_consecutive_local_origin_failure"));
        if (o.hasEnforcingSuccessRate() && o.getEnforcingSuccessRate().getValue() != 0) {
            throw new UnsupportedConfigException("unsupported field " + path
                    + ".enforcing_success_rate (only 0, success-rate ejection is not implemented)");
        }
        return new OutlierConfig(
                o.hasConsecutive5Xx() ? o.getConsecutive5Xx().getValue() : 5,
                o.hasConsecutiveGatewayFailure()
                        ? o.getConsecutiveGatewayFailure().getValue()
                        : 5,
                o.hasEnforcingConsecutive5Xx() ? o.getEnforcingConsecutive5Xx().getValue() : 100,
                o.hasEnforcingConsecutiveGatewayFailure()
                        ? o.getEnforcingConsecutiveGatewayFailure().getValue()
                        : 0,
                o.hasInterval() ? ProtoValues.duration(o.getInterval()) : Duration.ofSeconds(10),
                o.hasBaseEjectionTime() ? ProtoValues.duration(o.getBaseEjectionTime()) : Duration.ofSeconds(30),
                o.hasMaxEjectionTime() ? ProtoValues.duration(o.getMaxEjectionTime()) : Duration.ofSeconds(300),
                o.hasMaxEjectionPercent() ? o.getMaxEjectionPercent().getValue() : 10,
                o.getSplitExternalLocalOriginErrors(),
                o.hasConsecutiveLocalOriginFailure()
                        ? o.getConsecutiveLocalOriginFailure().getValue()
                        : 5,
                o.hasEnforcingConsecutiveLocalOriginFailure()
                        ? o.getEnforcingConsecutiveLocalOriginFailure().getValue()
                        : 100);
    }
}
