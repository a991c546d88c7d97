package io.ambientjava.waypoint.upstream;

import io.ambientjava.waypoint.config.ClusterConfig;
import io.ambientjava.waypoint.config.WaypointConfig;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The clusters of the current config at run time, updated in place as snapshots arrive. */
public final class ClusterManager {

    private final Transport transport;
    private final Map<String, ClusterRuntime> clusters = new ConcurrentHashMap<>();

    public ClusterManager(Transport transport) {
        this.transport = transport;
    }

    public synchronized void apply(WaypointConfig config) {
        for (Map.Entry<String, ClusterConfig> e : config.clusters().entrySet()) {
            ClusterRuntime runtime =
                    clusters.computeIfAbsent(e.getKey(), n -> new ClusterRuntime(e.getValue(), transport));
            runtime.update(e.getValue(), config.endpointsOf(e.getKey()));
        }
        clusters.entrySet().removeIf(e -> {
            if (!config.clusters().containsKey(e.getKey())) {
                e.getValue().closeIdle();
                return true;
            }
            return false;
        });
    }

    public Optional<ClusterRuntime> get(String name) {
        return Optional.ofNullable(clusters.get(name));
    }
}
