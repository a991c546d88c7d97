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
     * @param httpFilters filter names in order (fault, router)
     * @param fallbackCluster where bytes that are not HTTP go (the port's default cluster)
     */
    public record Http(
            String routeConfigName,
            Optional<RouteTable> inlineRoutes,
            List<String> httpFilters,
            Optional<String> fallbackCluster)
            implements Kind {
        public Http {
            httpFilters = List.copyOf(httpFilters);
        }

        public boolean hasFilter(String name) {
            return httpFilters.contains(name);
        }
    }

    public record Tcp(String cluster) implements Kind {}
}
