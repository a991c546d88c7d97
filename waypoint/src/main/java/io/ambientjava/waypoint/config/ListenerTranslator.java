package io.ambientjava.waypoint.config;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Envoy's {@code Listener} to a {@link ListenerConfig}, refusing what the waypoint does not implement. */
public final class ListenerTranslator {

    public static final String HCM = "envoy.filters.network.http_connection_manager";
    public static final String TCP_PROXY = "envoy.filters.network.tcp_proxy";
    public static final String ROUTER = "envoy.filters.http.router";
    public static final String RBAC = "envoy.filters.http.rbac";
    public static final String JWT_AUTHN = "envoy.filters.http.jwt_authn";
    public static final String TLS_INSPECTOR = "envoy.filters.listener.tls_inspector";

    private ListenerTranslator() {}

    public static ListenerConfig translate(Listener l) {
        String path = "Listener " + l.getName();
        FieldGuard.onlyFields(
                l, path, Set.of("name", "address", "filter_chains", "traffic_direction", "listener_filters"));
        boolean tlsInspector = ServerNameChains.tlsInspector(l, path);
        if (!l.hasAddress() || !l.getAddress().hasSocketAddress()) {
            throw FieldGuard.invalid(path + ".address", "needs a socket_address");
        }
        var sa = l.getAddress().getSocketAddress();
        FieldGuard.onlyFields(sa, path + ".address.socket_address", Set.of("address", "port_value", "protocol"));
        if (sa.getProtocol() != io.envoyproxy.envoy.config.core.v3.SocketAddress.Protocol.TCP) {
            throw FieldGuard.invalid(path + ".address.socket_address.protocol", "only TCP is supported");
        }
        if (sa.getPortValue() <= 0 || sa.getPortValue() > 65535) {
            throw FieldGuard.invalid(path + ".address.socket_address.port_value", "must be 1..65535");
        }
        if (l.getFilterChainsCount() == 0) {
            throw FieldGuard.invalid(path + ".filter_chains", "a listener needs a filter chain");
        }
        if (ServerNameChains.passesTlsThrough(l)) {
            if (!tlsInspector) {
                throw FieldGuard.invalid(
                        path + ".listener_filters",
                        "filter chains chosen by server_names without TLS termination need " + TLS_INSPECTOR);
            }
            return new ListenerConfig(
                    l.getName(),
                    sa.getAddress(),
                    sa.getPortValue(),
                    ServerNameChains.passthrough(l, path),
                    Optional.empty());
        }
        if (WorkloadChains.matchesDestinations(l)) {
            return new ListenerConfig(
                    l.getName(),
                    sa.getAddress(),
                    sa.getPortValue(),
                    WorkloadChains.translate(l, path),
                    Optional.empty());
        }
        Optional<ListenerTls> tls = ServerNameChains.tls(l, path);
        return new ListenerConfig(
                l.getName(),
                sa.getAddress(),
                sa.getPortValue(),
                kind(l.getFilterChains(0), path + ".filter_chains[0]", l.getName()),
                tls);
    }

    /** The one network filter of a chain: an HTTP connection manager or a TCP proxy. */
    static ListenerConfig.Kind kind(FilterChain chain, String cpath, String listenerName) {
        if (chain.getFiltersCount() != 1) {
            throw FieldGuard.invalid(cpath + ".filters", "exactly one network filter (HCM or tcp_proxy) is supported");
        }
        Filter filter = chain.getFilters(0);
        String fpath = cpath + ".filters[0]";
        FieldGuard.onlyFields(filter, fpath, Set.of("name", "typed_config"));
        return switch (filter.getName()) {
            case HCM -> http(unpack(filter.getTypedConfig(), HttpConnectionManager.class, fpath), fpath, listenerName);
            case TCP_PROXY -> tcp(unpack(filter.getTypedConfig(), TcpProxy.class, fpath), fpath);
            default ->
                throw new UnsupportedConfigException(
                        "unsupported network filter '" + filter.getName() + "' at " + fpath);
        };
    }

    private static ListenerConfig.Http http(HttpConnectionManager hcm, String path, String listenerName) {
        FieldGuard.onlyFields(
                hcm,
                path,
                Set.of("stat_prefix", "rds", "route_config", "http_filters", "codec_type", "tracing", "access_log"));
        HttpTelemetryConfig telemetry = TelemetryTranslator.translate(hcm, path);
        if (hcm.getCodecType() != HttpConnectionManager.CodecType.AUTO) {
            throw FieldGuard.invalid(path + ".codec_type", "only AUTO is supported");
        }
        String routeName = "";
        Optional<RouteTable> inline = Optional.empty();
        switch (hcm.getRouteSpecifierCase()) {
            case RDS -> {
                var rds = hcm.getRds();
                FieldGuard.onlyFields(rds, path + ".rds", Set.of("route_config_name", "config_source"));
                if (rds.hasConfigSource() && !rds.getConfigSource().hasAds()) {
                    throw FieldGuard.invalid(path + ".rds.config_source", "only ads is supported");
                }
                routeName = rds.getRouteConfigName();
                if (routeName.isEmpty()) {
                    throw FieldGuard.invalid(path + ".rds.route_config_name", "empty");
                }
            }
            case ROUTE_CONFIG -> {
                inline = Optional.of(RouteTranslator.translate(hcm.getRouteConfig()));
                routeName = hcm.getRouteConfig().getName();
            }
            default -> throw FieldGuard.invalid(path, "needs rds or route_config");
        }
        List<String> filters = new ArrayList<>();
        List<RbacFilterConfig> rbac = new ArrayList<>();
        Optional<JwtAuthnConfig> jwt = Optional.empty();
        Optional<LocalRateLimitConfig> localRateLimit = Optional.empty();
        for (int i = 0; i < hcm.getHttpFiltersCount(); i++) {
            HttpFilter f = hcm.getHttpFilters(i);
            String hpath = path + ".http_filters[" + i + "]";
            FieldGuard.onlyFields(f, hpath, Set.of("name", "typed_config"));
            switch (f.getName()) {
                case RouteTranslator.FAULT_FILTER -> {
                    if (f.hasTypedConfig()) {
                        HTTPFault fault = unpack(f.getTypedConfig(), HTTPFault.class, hpath);
                        // The listener-level fault config is empty in the contract; per-route config does the work.
                        FieldGuard.onlyFields(fault, hpath + ".typed_config", Set.of());
                    }
                }
                case JWT_AUTHN -> {
                    if (jwt.isPresent() || !rbac.isEmpty()) {
                        throw FieldGuard.invalid(hpath, "one jwt_authn filter, before the RBAC filters, is supported");
                    }
                    jwt = Optional.of(JwtAuthnTranslator.translate(
                            unpack(
                                    f.getTypedConfig(),
                                    io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication.class,
                                    hpath),
                            hpath + ".typed_config"));
                }
                case RBAC -> {
                    if (!f.hasTypedConfig()) {
                        throw FieldGuard.invalid(hpath + ".typed_config", "the RBAC filter needs its config");
                    }
                    RbacTranslator.translate(
                                    unpack(
                                            f.getTypedConfig(),
                                            io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class,
                                            hpath),
                                    hpath + ".typed_config")
                            .ifPresent(rbac::add);
                }
                case LocalRateLimitTranslator.FILTER_NAME -> {
                    if (localRateLimit.isPresent()) {
                        throw FieldGuard.invalid(hpath, "one local_ratelimit filter per listener is supported");
                    }
                    if (!f.hasTypedConfig()) {
                        throw FieldGuard.invalid(
                                hpath + ".typed_config", "the local_ratelimit filter needs its config");
                    }
                    localRateLimit = Optional.of(
                            LocalRateLimitTranslator.listenerFilter(f.getTypedConfig(), hpath + ".typed_config"));
                }
                case CorsTranslator.FILTER_NAME -> {
                    if (f.hasTypedConfig()) {
                        CorsTranslator.listenerFilter(f.getTypedConfig(), hpath + ".typed_config");
                    }
                }
                case TelemetryTranslator.STATS_FILTER -> {
                    if (telemetry.stats().isPresent()) {
                        throw FieldGuard.invalid(hpath, "one istio.stats filter per listener is supported");
                    }
                    telemetry = telemetry.withStats(TelemetryTranslator.stats(f, hpath));
                }
                case ROUTER -> {
                    if (f.hasTypedConfig()) {
                        Router router = unpack(f.getTypedConfig(), Router.class, hpath);
                        FieldGuard.onlyFields(router, hpath + ".typed_config", Set.of());
                    }
                    if (i != hcm.getHttpFiltersCount() - 1) {
                        throw FieldGuard.invalid(hpath, "the router must be the last HTTP filter");
                    }
                }
                default ->
                    throw new UnsupportedConfigException("unsupported HTTP filter '" + f.getName() + "' at " + hpath);
            }
            filters.add(f.getName());
        }
        if (filters.isEmpty() || !filters.getLast().equals(ROUTER)) {
            throw FieldGuard.invalid(path + ".http_filters", "must end with " + ROUTER);
        }
        return new ListenerConfig.Http(
                routeName, inline, filters, defaultClusterOf(listenerName), rbac, jwt, localRateLimit, telemetry);
    }

    /**
     * Where bytes that are not HTTP go: {@code inbound-vip|<port>|http|<hostname>} → {@code outbound|<port>||<hostname>},
     * the port's default cluster; a pod's chain {@code inbound-pod|<ip>} → {@code inbound-pod|passthrough}, its
     * original destination.
     */
    static Optional<String> defaultClusterOf(String listenerName) {
        String[] parts = listenerName.split("\\|", -1);
        if (parts.length == 4 && parts[0].equals("inbound-vip")) {
            return Optional.of("outbound|" + parts[1] + "||" + parts[3]);
        }
        if (parts.length == 2 && parts[0].equals(WorkloadChains.CHAIN_PREFIX)) {
            return Optional.of(WorkloadChains.PASSTHROUGH_CLUSTER);
        }
        return Optional.empty();
    }

    static ListenerConfig.Tcp tcp(TcpProxy proxy, String path) {
        FieldGuard.onlyFields(
                proxy,
                path,
                Set.of(
                        "stat_prefix",
                        "cluster",
                        "weighted_clusters",
                        "idle_timeout",
                        "max_downstream_connection_duration"));
        Optional<Duration> idleTimeout = Optional.of(ListenerConfig.Tcp.DEFAULT_IDLE_TIMEOUT);
        if (proxy.hasIdleTimeout()) {
            Duration idle = nonNegative(proxy.getIdleTimeout(), path + ".idle_timeout");
            idleTimeout = idle.isZero() ? Optional.empty() : Optional.of(idle);
        }
        Optional<Duration> maxDuration = Optional.empty();
        if (proxy.hasMaxDownstreamConnectionDuration()) {
            Duration max = ProtoValues.duration(proxy.getMaxDownstreamConnectionDuration());
            if (max.compareTo(Duration.ofMillis(1)) < 0) {
                throw FieldGuard.invalid(
                        path + ".max_downstream_connection_duration", "must be at least 1ms, was " + max);
            }
            maxDuration = Optional.of(max);
        }
        return new ListenerConfig.Tcp(tcpClusters(proxy, path), idleTimeout, maxDuration);
    }

    private static Duration nonNegative(com.google.protobuf.Duration value, String path) {
        Duration d = ProtoValues.duration(value);
        if (d.isNegative()) {
            throw FieldGuard.invalid(path, "must not be negative, was " + d);
        }
        return d;
    }

    private static List<ListenerConfig.Tcp.ClusterWeight> tcpClusters(TcpProxy proxy, String path) {
        if (proxy.hasWeightedClusters()) {
            String wpath = path + ".weighted_clusters";
            FieldGuard.onlyFields(proxy.getWeightedClusters(), wpath, Set.of("clusters"));
            List<ListenerConfig.Tcp.ClusterWeight> clusters = new ArrayList<>();
            for (int i = 0; i < proxy.getWeightedClusters().getClustersCount(); i++) {
                var c = proxy.getWeightedClusters().getClusters(i);
                String cpath = wpath + ".clusters[" + i + "]";
                FieldGuard.onlyFields(c, cpath, Set.of("name", "weight"));
                if (c.getName().isEmpty()) {
                    throw FieldGuard.invalid(cpath + ".name", "empty");
                }
                if (c.getWeight() < 1) {
                    throw FieldGuard.invalid(cpath + ".weight", "must be at least 1, was " + c.getWeight());
                }
                clusters.add(new ListenerConfig.Tcp.ClusterWeight(c.getName(), c.getWeight()));
            }
            if (clusters.isEmpty()) {
                throw FieldGuard.invalid(wpath + ".clusters", "needs at least one cluster");
            }
            return clusters;
        }
        if (proxy.getCluster().isEmpty()) {
            throw FieldGuard.invalid(path + ".cluster", "a tcp_proxy needs a cluster or weighted_clusters");
        }
        return List.of(new ListenerConfig.Tcp.ClusterWeight(proxy.getCluster(), 1));
    }

    static <T extends Message> T unpack(Any any, Class<T> type, String path) {
        try {
            if (!ProtoTypes.holds(any, type)) {
                throw FieldGuard.invalid(
                        path + ".typed_config", "expected " + type.getSimpleName() + ", got " + any.getTypeUrl());
            }
            return ProtoTypes.unpack(any, type);
        } catch (InvalidProtocolBufferException e) {
            throw FieldGuard.invalid(path + ".typed_config", "cannot decode: " + e.getMessage());
        }
    }
}
