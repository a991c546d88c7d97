package io.ambientjava.meshctl.local;

import java.util.List;
import java.util.Map;

/** The JSON documents exchanged between meshctl commands and the local mesh's supervisor. */
public final class ControlApi {
    private ControlApi() {}

    /** The image a pod runs: the built-in demo app, nothing (a client-only pod), or a command. */
    public static final String DEMO_APP = "demo";

    public static final String NO_APP = "none";

    /** {@code meshctl pod run}: what to make. {@code node} empty = the node with the fewest pods. */
    public record PodSpec(
            String name,
            String namespace,
            String serviceAccount,
            String node,
            Map<String, String> labels,
            String image,
            List<String> command,
            int port) {
        public PodSpec {
            labels = Map.copyOf(labels);
            command = List.copyOf(command);
        }
    }

    /** One pod as {@code status} and {@code pod list} show it. */
    public record PodInfo(
            String name,
            String namespace,
            String ip,
            String node,
            boolean enrolled,
            String serviceAccount,
            String app,
            boolean running,
            Map<String, String> labels,
            String netns) {}

    /**
     * {@code meshctl local waypoint apply}: a waypoint to start. {@code traffic} is service, workload, all or none
     * ({@code istio.io/waypoint-for}); {@code node} null or empty = the mesh's first node.
     */
    public record WaypointSpec(String namespace, String name, String traffic, String node) {}

    /** One running waypoint as {@code waypoint apply}, {@code waypoint list} and {@code status} show it. */
    public record WaypointInfo(
            String namespace, String name, String traffic, String node, String ip, String principal) {}

    public record NodeInfo(String name, String podSubnet) {}

    public record ServiceInfo(String namespace, String name, String clusterIp, String ports) {}

    public record MeshStatus(
            String name,
            long pid,
            String configDir,
            String startedAt,
            List<NodeInfo> nodes,
            List<LocalMesh.ComponentHealth> components,
            List<PodInfo> pods,
            List<WaypointInfo> waypoints,
            List<ServiceInfo> services) {}

    /** The body of every refusal: one line for the user. */
    public record Problem(String error) {}
}
