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
import java.util.NoSuchElementException;

/**
 * The waypoints of a running local mesh, owned by its supervisor: each started with {@link LocalMesh#addWaypoint}
 * (its Gateway, Service and pod, waypoint.jar in the pod's netns), which also registers its teardown with the mesh,
 * and deleted with {@link LocalMesh#removeProxy} before that when asked.
 */
final class LocalWaypoints {
    private final LocalMesh mesh;
    private final MeshConfigStore store;
    /** By {@code namespace/name}, from the moment its apply is accepted until its delete is done. */
    private final Map<String, Waypoint> waypoints = new LinkedHashMap<>();

    /** Where a waypoint is in its life; only a running one is listed and can be deleted. */
    private enum State {
        STARTING,
        RUNNING,
        DELETING
    }

    /** {@code info} and {@code proxy} are null while it starts. */
    private record Waypoint(State state, WaypointInfo info, MeshProxy proxy) {}

    LocalWaypoints(LocalMesh mesh, MeshConfigStore store) {
        this.mesh = mesh;
        this.store = store;
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }

    /** Starts the waypoint; returns once it has its config from istiod-lite. On failure nothing of it is left. */
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
            Waypoint existing = waypoints.get(key);
            if (existing != null) {
                throw new IllegalStateException("waypoint " + key + " already exists"
                        + switch (existing.state()) {
                            case STARTING -> " (it is starting)";
                            case RUNNING -> " (on " + existing.info().node() + ")";
                            case DELETING -> " (it is being deleted; try again)";
                        });
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
            waypoints.put(key, new Waypoint(State.STARTING, null, null));
        }
        try {
            // LocalMesh removes whatever it had made when the start fails, so the same name can be applied again.
            MeshProxy proxy = mesh.addWaypoint(spec.namespace(), spec.name(), node, traffic);
            WaypointInfo info = new WaypointInfo(
                    spec.namespace(), spec.name(), traffic.label(), node, proxy.ip(), proxy.principal());
            synchronized (waypoints) {
                waypoints.put(key, new Waypoint(State.RUNNING, info, proxy));
            }
            return info;
        } catch (Exception | Error e) {
            synchronized (waypoints) {
                waypoints.remove(key);
            }
            throw e;
        }
    }

    /**
     * Stops the waypoint and removes all it had ({@link LocalMesh#removeProxy}): its processes, CNI DEL and netns,
     * its Gateway, Service and Pod, its CA token. Afterwards it is no longer listed and the name can be applied again,
     * also when a step of the removal failed (that failure is thrown).
     */
    void delete(String namespace, String name) throws Exception {
        String key = key(namespace, name);
        Waypoint waypoint;
        synchronized (waypoints) {
            waypoint = waypoints.get(key);
            if (waypoint == null) {
                throw new NoSuchElementException("waypoint " + key + " not found");
            }
            if (waypoint.state() != State.RUNNING) {
                throw new IllegalStateException("waypoint " + key + " is "
                        + (waypoint.state() == State.STARTING ? "still starting" : "being deleted") + "; try again");
            }
            waypoints.put(key, new Waypoint(State.DELETING, waypoint.info(), waypoint.proxy()));
        }
        try {
            mesh.removeProxy(waypoint.proxy());
        } finally {
            synchronized (waypoints) {
                waypoints.remove(key);
            }
        }
    }

    /** The running waypoints (not those starting or being deleted), by namespace and name. */
    List<WaypointInfo> list() {
        synchronized (waypoints) {
            return waypoints.values().stream()
                    .filter(w -> w.state() == State.RUNNING)
                    .map(Waypoint::info)
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
