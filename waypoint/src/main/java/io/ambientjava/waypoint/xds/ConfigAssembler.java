package io.ambientjava.waypoint.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ambientjava.waypoint.config.ClusterConfig;
import io.ambientjava.waypoint.config.ClusterTranslator;
import io.ambientjava.waypoint.config.EndpointConfig;
import io.ambientjava.waypoint.config.EndpointTranslator;
import io.ambientjava.waypoint.config.ListenerConfig;
import io.ambientjava.waypoint.config.ListenerTranslator;
import io.ambientjava.waypoint.config.ProtoTypes;
import io.ambientjava.waypoint.config.RouteTable;
import io.ambientjava.waypoint.config.RouteTranslator;
import io.ambientjava.waypoint.config.UnsupportedConfigException;
import io.ambientjava.waypoint.config.WaypointConfig;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The accepted resources of each type, and the snapshot built from them. An update is all or nothing: if any
 * resource in it is refused, none of it is applied and the previous snapshot stays (Envoy's NACK semantics).
 */
public final class ConfigAssembler {

    private final Map<String, ListenerConfig> listeners = new HashMap<>();
    private final Map<String, RouteTable> routes = new HashMap<>();
    private final Map<String, ClusterConfig> clusters = new HashMap<>();
    private final Map<String, List<EndpointConfig>> endpoints = new HashMap<>();
    private final Map<String, Map<String, String>> versions = new HashMap<>();
    private long generation;

    /** A named resource of one update, as received. */
    public record Update(String name, String version, Any resource) {
        public Update {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(resource, "resource");
        }
    }

    /**
     * Applies one response's updates and removals of {@code typeUrl}.
     *
     * @return the new snapshot
     * @throws UnsupportedConfigException naming every refused resource and why; nothing was applied
     */
    public synchronized WaypointConfig apply(String typeUrl, List<Update> updates, List<String> removals) {
        List<String> errors = new ArrayList<>();
        Map<String, Object> translated = new HashMap<>();
        for (Update u : updates) {
            try {
                translated.put(u.name(), translate(typeUrl, u));
            } catch (UnsupportedConfigException | IllegalArgumentException e) {
                errors.add(e.getMessage());
            }
        }
        if (!errors.isEmpty()) {
            throw new UnsupportedConfigException(String.join("; ", errors));
        }
        Map<String, Object> target = mapFor(typeUrl);
        removals.forEach(target::remove);
        target.putAll(translated);
        Map<String, String> typeVersions = versions.computeIfAbsent(typeUrl, t -> new HashMap<>());
        removals.forEach(typeVersions::remove);
        updates.forEach(u -> typeVersions.put(u.name(), u.version()));
        generation++;
        return snapshot();
    }

    /** Name → version of the accepted resources of {@code typeUrl}, for a reconnect's initial versions. */
    public synchronized Map<String, String> versions(String typeUrl) {
        return Map.copyOf(versions.getOrDefault(typeUrl, Map.of()));
    }

    public synchronized WaypointConfig snapshot() {
        return new WaypointConfig(listeners, routes, clusters, endpoints, Long.toString(generation));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> mapFor(String typeUrl) {
        return (Map<String, Object>)
                switch (typeUrl) {
                    case TypeUrls.LISTENER -> listeners;
                    case TypeUrls.ROUTE -> routes;
                    case TypeUrls.CLUSTER -> clusters;
                    case TypeUrls.ENDPOINT -> endpoints;
                    default -> throw new UnsupportedConfigException("unsupported type " + typeUrl);
                };
    }

    private static Object translate(String typeUrl, Update u) {
        if (!u.resource().getTypeUrl().equals(typeUrl)) {
            throw new UnsupportedConfigException("resource " + u.name() + " has type "
                    + u.resource().getTypeUrl() + " in a " + typeUrl + " response");
        }
        try {
            return switch (typeUrl) {
                case TypeUrls.LISTENER -> {
                    ListenerConfig l = ListenerTranslator.translate(ProtoTypes.unpack(u.resource(), Listener.class));
                    yield named(u, l.name(), l);
                }
                case TypeUrls.ROUTE -> {
                    RouteTable t = RouteTranslator.translate(ProtoTypes.unpack(u.resource(), RouteConfiguration.class));
                    yield named(u, t.name(), t);
                }
                case TypeUrls.CLUSTER -> {
                    ClusterConfig c = ClusterTranslator.translate(ProtoTypes.unpack(u.resource(), Cluster.class));
                    yield named(u, c.name(), c);
                }
                case TypeUrls.ENDPOINT -> {
                    ClusterLoadAssignment cla = ProtoTypes.unpack(u.resource(), ClusterLoadAssignment.class);
                    named(u, cla.getClusterName(), cla);
                    yield List.copyOf(EndpointTranslator.translate(cla));
                }
                default -> throw new UnsupportedConfigException("unsupported type " + typeUrl);
            };
        } catch (InvalidProtocolBufferException e) {
            throw new UnsupportedConfigException("cannot decode " + u.name() + ": " + e.getMessage());
        }
    }

    private static <T> T named(Update u, String innerName, T value) {
        if (!u.name().equals(innerName)) {
            throw new UnsupportedConfigException(
                    "resource named '" + u.name() + "' carries a resource named '" + innerName + "'");
        }
        return value;
    }
}
