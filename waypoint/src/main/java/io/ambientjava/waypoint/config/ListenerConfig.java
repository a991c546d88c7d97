package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Envoy's {@code Listener} as the waypoint uses it: an address and one filter chain, either an HTTP connection
 * manager or a TCP proxy.
 */
public record ListenerConfig(String name, String address, int port, Kind kind) {

    public ListenerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(kind, "kind");
    }

    public sealed interface Kind {}

    /**
     * @param routeConfigName the RouteConfiguration from ADS, when {@code inlineRoutes} is empty
     * @param httpFilters filter names in order (rbac..., fault, router)
     * @param fallbackCluster where bytes that are not HTTP go (the port's default cluster)
     * @param rbac the {@code envoy.filters.http.rbac} filters with rules, in filter order
     * @param jwtAuthn the {@code envoy.filters.http.jwt_authn} filter, which runs before them
     */
    public record Http(
            String routeConfigName,
            Optional<RouteTable> inlineRoutes,
            List<String> httpFilters,
            Optional<String> fallbackCluster,
            List<RbacFilterConfig> rbac,
            Optional<JwtAuthnConfig> jwtAuthn)
            implements Kind {
        public Http {
            httpFilters = List.copyOf(httpFilters);
            rbac = List.copyOf(rbac);
            Objects.requireNonNull(jwtAuthn, "jwtAuthn");
        }

        public Http(
                String routeConfigName,
                Optional<RouteTable> inlineRoutes,
                List<String> httpFilters,
                Optional<String> fallbackCluster) {
            this(routeConfigName, inlineRoutes, httpFilters, fallbackCluster, List.of(), Optional.empty());
        }

        public boolean hasFilter(String name) {
            return httpFilters.contains(name);
        }
    }

    public record Tcp(String cluster) implements Kind {}
}
