package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One immutable snapshot of everything the waypoint was configured with; replaced whole on each update. */
public record WaypointConfig(
        Map<String, ListenerConfig> listeners,
        Map<String, RouteTable> routes,
        Map<String, ClusterConfig> clusters,
        Map<String, List<EndpointConfig>> endpoints,
        String version) {

    public static final WaypointConfig EMPTY = new WaypointConfig(Map.of(), Map.of(), Map.of(), Map.of(), "");

    public WaypointConfig {
        listeners = Map.copyOf(listeners);
        routes = Map.copyOf(routes);
        clusters = Map.copyOf(clusters);
        endpoints = Map.copyOf(endpoints);
    }

    /**
     * The listener for {@code address:port}: one bound to exactly that, else the filter chain of a pod at
     * {@code address} (any port), else a wildcard ({@code 0.0.0.0}) listener on the port.
     */
    public Optional<ListenerConfig> listenerFor(String address, int port) {
        ListenerConfig pod = null;
        ListenerConfig wildcard = null;
        for (ListenerConfig listener : listeners.values()) {
            if (listener.kind() instanceof ListenerConfig.Workloads workloads) {
                ListenerConfig chain = workloads.byAddress().get(address);
                if (chain != null) {
                    pod = chain;
                }
                continue;
            }
            if (listener.port() != port) {
                continue;
            }
            if (listener.address().equals(address)) {
                return Optional.of(listener);
            }
            if (listener.address().equals("0.0.0.0") || listener.address().equals("::")) {
                wildcard = listener;
            }
        }
        return Optional.ofNullable(pod != null ? pod : wildcard);
    }

    /** The route table an HTTP listener uses (inline or from RDS). */
    public Optional<RouteTable> routeTableFor(ListenerConfig.Http http) {
        return http.inlineRoutes().or(() -> Optional.ofNullable(routes.get(http.routeConfigName())));
    }

    public List<EndpointConfig> endpointsOf(String cluster) {
        return endpoints.getOrDefault(cluster, List.of());
    }
}
