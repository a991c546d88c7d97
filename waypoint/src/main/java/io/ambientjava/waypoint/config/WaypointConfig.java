package io.ambientjava.waypoint.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** One immutable snapshot of everything the waypoint was configured with; replaced whole on each update. */
public final class WaypointConfig {

    public static final WaypointConfig EMPTY = new WaypointConfig(Map.of(), Map.of(), Map.of(), Map.of(), "");

    private final Map<String, ListenerConfig> listeners;
    private final Map<String, RouteTable> routes;
    private final Map<String, ClusterConfig> clusters;
    private final Map<String, List<EndpointConfig>> endpoints;
    private final String version;
    private final ListenerIndex index;

    public WaypointConfig(
            Map<String, ListenerConfig> listeners,
            Map<String, RouteTable> routes,
            Map<String, ClusterConfig> clusters,
            Map<String, List<EndpointConfig>> endpoints,
            String version) {
        this.listeners = Map.copyOf(listeners);
        this.routes = Map.copyOf(routes);
        this.clusters = Map.copyOf(clusters);
        this.endpoints = Map.copyOf(endpoints);
        this.version = Objects.requireNonNull(version, "version");
        this.index = new ListenerIndex(this.listeners.values());
    }

    private WaypointConfig(WaypointConfig base, Map<String, List<EndpointConfig>> endpoints) {
        this.listeners = base.listeners;
        this.routes = base.routes;
        this.clusters = base.clusters;
        this.endpoints = Map.copyOf(endpoints);
        this.version = base.version;
        this.index = base.index;
    }

    /**
     * This snapshot with the endpoints of some clusters replaced (those a STRICT_DNS or LOGICAL_DNS cluster resolved
     * for itself); everything else, the version included, is this snapshot's.
     */
    public WaypointConfig withEndpoints(Map<String, List<EndpointConfig>> replaced) {
        Map<String, List<EndpointConfig>> merged = new HashMap<>(endpoints);
        replaced.forEach((cluster, list) -> merged.put(cluster, List.copyOf(list)));
        return new WaypointConfig(this, merged);
    }

    public Map<String, ListenerConfig> listeners() {
        return listeners;
    }

    public Map<String, RouteTable> routes() {
        return routes;
    }

    public Map<String, ClusterConfig> clusters() {
        return clusters;
    }

    public Map<String, List<EndpointConfig>> endpoints() {
        return endpoints;
    }

    public String version() {
        return version;
    }

    /**
     * The listener for {@code address:port}: one bound to exactly that, else the filter chain of a pod at
     * {@code address} (any port), else a wildcard ({@code 0.0.0.0}) listener on the port. Runs for every request.
     */
    public Optional<ListenerConfig> listenerFor(String address, int port) {
        return index.find(address, port);
    }

    /** The route table an HTTP listener uses (inline or from RDS). */
    public Optional<RouteTable> routeTableFor(ListenerConfig.Http http) {
        return http.inlineRoutes().or(() -> Optional.ofNullable(routes.get(http.routeConfigName())));
    }

    public List<EndpointConfig> endpointsOf(String cluster) {
        return endpoints.getOrDefault(cluster, List.of());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WaypointConfig other
                && listeners.equals(other.listeners)
                && routes.equals(other.routes)
                && clusters.equals(other.clusters)
                && endpoints.equals(other.endpoints)
                && version.equals(other.version);
    }

    @Override
    public int hashCode() {
        return Objects.hash(listeners, routes, clusters, endpoints, version);
    }

    @Override
    public String toString() {
        return "WaypointConfig[version=" + version + ", listeners=" + listeners.keySet() + ", routes=" + routes.keySet()
                + ", clusters=" + clusters.keySet() + "]";
    }
}
