package io.ambientjava.meshctl.local;

import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.meshctl.local.ControlApi.WaypointInfo;
import io.ambientjava.meshctl.local.ControlApi.WaypointSpec;
import io.ambientjava.meshctl.waypoint.TrafficType;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The waypoints of a running local mesh, owned by its supervisor: each started with {@link LocalMesh#addWaypoint}
 * (its Gateway, Service and pod, waypoint.jar in the pod's netns), which also registers its teardown with the mesh.
 */
final class LocalWaypoints {
    private final LocalMesh mesh;
    private final MeshConfigStore store;
    /** By {@code namespace/name}; null while it starts. */
    private final Map<String, WaypointInfo> waypoints = new LinkedHashMap<>();

    LocalWaypoints(LocalMesh mesh, MeshConfigStore store) {
        this.mesh = mesh;
        this.store = store;
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }

    /** Starts the waypoint; returns once it has its config from istiod-lite. */
    WaypointInfo apply(WaypointSpec spec) throws Exception {
        PodArguments.checkName("namespace", spec.namespace());
        PodArguments.checkName("waypoint", spec.name());
        TrafficType traffic = TrafficType.of(spec.traffic());
        String node = chooseNode(spec.node());
        if (!store.exists(new ResourceKey(ResourceKind.NAMESPACE, "", spec.namespace()))) {
            throw new IllegalArgumentException("namespace '" + spec.namespace() + "' not found (apply a Namespace"
                    + " with `meshctl apply -f`; the mesh starts with 'default' and 'istio-system')");
        }
        String key = key(spec.namespace(), spec.name());
        synchronized (waypoints) {
            if (waypoints.containsKey(key)) {
                throw new IllegalStateException("waypoint " + key + " already exists"
                        + (waypoints.get(key) == null
                                ? " (it is starting)"
                                : " (on " + waypoints.get(key).node() + ")"));
            }
            // What the waypoint makes under its own names: its Gateway and Service, and its pod <name>-0.
            for (ResourceKey taken : List.of(
                    new ResourceKey(ResourceKind.GATEWAY, spec.namespace(), spec.name()),
                    new ResourceKey(ResourceKind.SERVICE, spec.namespace(), spec.name()),
                    new ResourceKey(ResourceKind.POD, spec.namespace(), spec.name() + "-0"))) {
                if (store.exists(taken)) {
                    throw new IllegalStateException("cannot apply waypoint " + key + ": "
                            + taken.kind().kind() + " " + taken.namespacedName()
                            + " already exists, and the waypoint makes its own of that name");
                }
            }
            waypoints.put(key, null);
        }
        try {
            MeshProxy proxy = mesh.addWaypoint(spec.namespace(), spec.name(), node, traffic);
            WaypointInfo info = new WaypointInfo(
                    spec.namespace(), spec.name(), traffic.label(), node, proxy.ip(), proxy.principal());
            synchronized (waypoints) {
                waypoints.put(key, info);
            }
            return info;
        } catch (Exception | Error e) {
            synchronized (waypoints) {
                waypoints.remove(key);
            }
            throw e;
        }
    }

    /** The running waypoints (not those still starting), by namespace and name. */
    List<WaypointInfo> list() {
        synchronized (waypoints) {
            return waypoints.values().stream()
                    .filter(Objects::nonNull)
                    .sorted(Comparator.comparing(WaypointInfo::namespace).thenComparing(WaypointInfo::name))
                    .toList();
        }
    }

    private String chooseNode(String wanted) {
        List<String> nodes = mesh.nodeNames();
        if (wanted == null || wanted.isEmpty()) {
            return nodes.getFirst();
        }
        if (!nodes.contains(wanted)) {
            throw new IllegalArgumentException("no node '" + wanted + "' (nodes: " + String.join(", ", nodes) + ")");
        }
        return wanted;
    }
}
