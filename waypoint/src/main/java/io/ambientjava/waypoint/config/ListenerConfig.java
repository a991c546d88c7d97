package io.ambientjava.waypoint.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Envoy's {@code Listener} as the waypoint uses it: an address and its filter chain, either an HTTP connection
 * manager or a TCP proxy, and the TLS termination if it has one (ingress HTTPS; several chains that differ only in
 * their certificate and server names are one {@link ListenerTls}). The filter chain for one pod's own address
 * (workload-addressed traffic) is a listener of its own on {@link #ANY_PORT}, with the pod it sends to in
 * {@code workload}; the Envoy listener that holds all of them is {@link Workloads}.
 */
public record ListenerConfig(
        String name,
        String address,
        int port,
        Kind kind,
        Optional<ListenerTls> tls,
        Optional<WorkloadEndpoint> workload) {

    /** The port of a pod's filter chain: it takes every port, as a chain without {@code destination_port} does. */
    public static final int ANY_PORT = 0;

    public ListenerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(workload, "workload");
    }

    public ListenerConfig(String name, String address, int port, Kind kind, Optional<ListenerTls> tls) {
        this(name, address, port, kind, tls, Optional.empty());
    }

    /** A listener without TLS termination. */
    public ListenerConfig(String name, String address, int port, Kind kind) {
        this(name, address, port, kind, Optional.empty(), Optional.empty());
    }

    public sealed interface Kind {}

    /**
     * @param routeConfigName the RouteConfiguration from ADS, when {@code inlineRoutes} is empty
     * @param httpFilters filter names in order (rbac..., fault, router)
     * @param fallbackCluster where bytes that are not HTTP go (the port's default cluster)
     * @param rbac the {@code envoy.filters.http.rbac} filters with rules, in filter order
     * @param jwtAuthn the {@code envoy.filters.http.jwt_authn} filter, which runs before them
     * @param localRateLimit the {@code envoy.filters.http.local_ratelimit} filter; it runs where
     *     {@code httpFilters} lists it (before the security filters, or after them)
     * @param telemetry the manager's {@code tracing}, {@code access_log} and {@code istio.stats} filter
     */
    public record Http(
            String routeConfigName,
            Optional<RouteTable> inlineRoutes,
            List<String> httpFilters,
            Optional<String> fallbackCluster,
            List<RbacFilterConfig> rbac,
            Optional<JwtAuthnConfig> jwtAuthn,
            Optional<LocalRateLimitConfig> localRateLimit,
            HttpTelemetryConfig telemetry)
            implements Kind {
        public Http {
            httpFilters = List.copyOf(httpFilters);
            rbac = List.copyOf(rbac);
            Objects.requireNonNull(jwtAuthn, "jwtAuthn");
            Objects.requireNonNull(localRateLimit, "localRateLimit");
            Objects.requireNonNull(telemetry, "telemetry");
        }

        public Http(
                String routeConfigName,
                Optional<RouteTable> inlineRoutes,
                List<String> httpFilters,
                Optional<String> fallbackCluster,
                List<RbacFilterConfig> rbac,
                Optional<JwtAuthnConfig> jwtAuthn,
                Optional<LocalRateLimitConfig> localRateLimit) {
            this(
                    routeConfigName,
                    inlineRoutes,
                    httpFilters,
                    fallbackCluster,
                    rbac,
                    jwtAuthn,
                    localRateLimit,
                    HttpTelemetryConfig.NONE);
        }

        public Http(
                String routeConfigName,
                Optional<RouteTable> inlineRoutes,
                List<String> httpFilters,
                Optional<String> fallbackCluster,
                List<RbacFilterConfig> rbac,
                Optional<JwtAuthnConfig> jwtAuthn) {
            this(routeConfigName, inlineRoutes, httpFilters, fallbackCluster, rbac, jwtAuthn, Optional.empty());
        }

        public Http(
                String routeConfigName,
                Optional<RouteTable> inlineRoutes,
                List<String> httpFilters,
                Optional<String> fallbackCluster) {
            this(
                    routeConfigName,
                    inlineRoutes,
                    httpFilters,
                    fallbackCluster,
                    List.of(),
                    Optional.empty(),
                    Optional.empty());
        }

        public boolean hasFilter(String name) {
            return httpFilters.contains(name);
        }

        /** Whether local_ratelimit comes before jwt_authn and rbac, so it also counts requests they refuse. */
        public boolean rateLimitBeforeSecurity() {
            return beforeSecurity(LocalRateLimitTranslator.FILTER_NAME);
        }

        /**
         * Whether the CORS filter comes before a jwt_authn or rbac filter, so it answers preflights they would refuse.
         * Istio puts it after them; an EnvoyFilter or another control plane may not. Otherwise it runs at its place
         * after route selection (after fault injection when fault comes first).
         */
        public boolean corsBeforeSecurity() {
            return beforeSecurity(CorsTranslator.FILTER_NAME) && hasSecurityFilter();
        }

        private boolean hasSecurityFilter() {
            return httpFilters.contains(ListenerTranslator.JWT_AUTHN) || httpFilters.contains(ListenerTranslator.RBAC);
        }

        private boolean beforeSecurity(String filter) {
            int position = httpFilters.indexOf(filter);
            if (position < 0) {
                return false;
            }
            for (int i = 0; i < position; i++) {
                String name = httpFilters.get(i);
                if (name.equals(ListenerTranslator.JWT_AUTHN) || name.equals(ListenerTranslator.RBAC)) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * TLS passthrough: the client's TLS goes through untouched to the TCP proxy of the filter chain its SNI picks
     * (Envoy's {@code tls_inspector} with {@code filter_chain_match.server_names}), or the chain without server
     * names; with neither the connection is closed.
     */
    public record TlsPassthrough(List<Named> named, Optional<Tcp> fallback) implements Kind {

        public record Named(List<String> serverNames, Tcp tcp) {}

        public TlsPassthrough {
            named = List.copyOf(named);
            Objects.requireNonNull(fallback, "fallback");
        }

        /** The TCP proxy for a client hello naming {@code serverName} (null: none, or not TLS at all). */
        public Optional<Tcp> forServerName(String serverName) {
            return ServerNames.pick(named, Named::serverNames, serverName)
                    .map(Named::tcp)
                    .or(() -> fallback);
        }
    }

    /**
     * Filter chains picked by the destination address ({@code filter_chain_match.prefix_ranges} of one address
     * each): the chain for each pod the waypoint takes workload-addressed traffic for, by its IP.
     */
    public record Workloads(Map<String, ListenerConfig> byAddress) implements Kind {
        public Workloads {
            byAddress = Map.copyOf(byAddress);
        }
    }

    /**
     * A TCP proxy to one cluster, or to one of several picked per connection by weight (Envoy's
     * {@code weighted_clusters}, as a VirtualService splits TCP traffic).
     *
     * @param idleTimeout both sides are closed after this long without a byte either way (Envoy's {@code idle_timeout},
     *     1 h unless set; empty: never, as Envoy's 0 s)
     * @param maxConnectionDuration both sides are closed this long after the client connected, busy or not (Envoy's
     *     {@code max_downstream_connection_duration}); empty: no limit
     */
    public record Tcp(
            List<ClusterWeight> clusters, Optional<Duration> idleTimeout, Optional<Duration> maxConnectionDuration)
            implements Kind {

        public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(1);

        public record ClusterWeight(String cluster, int weight) {}

        public Tcp {
            clusters = List.copyOf(clusters);
            if (clusters.isEmpty()) {
                throw new IllegalArgumentException("a TCP proxy needs a cluster");
            }
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            Objects.requireNonNull(maxConnectionDuration, "maxConnectionDuration");
        }

        public Tcp(List<ClusterWeight> clusters) {
            this(clusters, Optional.of(DEFAULT_IDLE_TIMEOUT), Optional.empty());
        }

        public Tcp(String cluster) {
            this(List.of(new ClusterWeight(cluster, 1)));
        }

        public int totalWeight() {
            return clusters.stream().mapToInt(ClusterWeight::weight).sum();
        }

        /** The cluster for a connection; {@code draw} is uniform in [0, {@link #totalWeight()}). */
        public String pick(int draw) {
            int left = draw;
            for (ClusterWeight c : clusters) {
                left -= c.weight();
                if (left < 0) {
                    return c.cluster();
                }
            }
            return clusters.getLast().cluster();
        }
    }
}
