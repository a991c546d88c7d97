package io.ambientjava.istiod.translate;

import io.ambientjava.api.workload.GatewayAddress;
import io.ambientjava.api.workload.NamespacedHostname;
import io.ambientjava.api.workload.NetworkAddress;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.IpPrefix;
import io.ambientjava.istiod.config.ResourceKind;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The waypoints of a snapshot and which one serves a given service or pod, following Istio's labels:
 * {@code istio.io/use-waypoint} on the object itself (a name, or {@code namespace/name}; {@code none} opts out),
 * else on its namespace; {@code istio.io/use-waypoint-namespace} names another namespace. A waypoint is a Gateway
 * API Gateway of class {@code istio-waypoint}; {@code istio.io/waypoint-for} (on the Gateway or its class) says
 * whether it serves {@code service} (the default), {@code workload}, {@code all} or {@code none} traffic.
 *
 * <p>Its address is the first of {@code status.addresses}, which Istio's gateway controller fills in. In the local
 * mesh nothing writes status, so a Service with the Gateway's name in its namespace stands in (Istio creates
 * exactly that Service for every waypoint). A waypoint with neither is not ready and serves nothing.
 */
public final class WaypointIndex {

    static final String USE_WAYPOINT_LABEL = "istio.io/use-waypoint";
    static final String USE_WAYPOINT_NAMESPACE_LABEL = "istio.io/use-waypoint-namespace";
    static final String WAYPOINT_FOR_LABEL = "istio.io/waypoint-for";
    public static final String WAYPOINT_CLASS = "istio-waypoint";
    static final int HBONE_PORT = 15008;
    private static final String MANAGED_LABEL = "gateway.istio.io/managed";
    private static final String MESH_CONTROLLER = "istio.io-mesh-controller";
    private static final String GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";

    /** A ready waypoint: its name and where to reach it. */
    public record Waypoint(String namespace, String name, String trafficType, GatewayAddress address) {
        public String key() {
            return namespace + "/" + name;
        }

        boolean serves(String traffic) {
            return trafficType.equals("all") || trafficType.equals(traffic);
        }
    }

    private final ConfigSnapshot snapshot;
    private final Map<String, Waypoint> waypoints = new HashMap<>();

    public WaypointIndex(ConfigSnapshot snapshot, MeshSettings settings) {
        this.snapshot = snapshot;
        Map<String, GatewayClass> classes = new HashMap<>();
        snapshot.all(ResourceKind.GATEWAY_CLASS, GatewayClass.class)
                .forEach(c -> classes.put(c.getMetadata().getName(), c));
        for (Gateway gateway : snapshot.gateways()) {
            String className = gateway.getSpec().getGatewayClassName();
            if (!WAYPOINT_CLASS.equals(className)) {
                continue;
            }
            String namespace = gateway.getMetadata().getNamespace();
            String name = gateway.getMetadata().getName();
            String declared = LabelSelector.labelsOf(gateway).get(WAYPOINT_FOR_LABEL);
            if (declared == null && classes.containsKey(className)) {
                declared = LabelSelector.labelsOf(classes.get(className)).get(WAYPOINT_FOR_LABEL);
            }
            String trafficType = declared == null ? "service" : declared;
            address(gateway, settings)
                    .map(a -> new Waypoint(namespace, name, trafficType, a))
                    .ifPresent(w -> waypoints.put(w.key(), w));
        }
    }

    /**
     * The waypoint for a service's traffic (a Service's, or a ServiceEntry's hosts'), if one is named and ready;
     * problems go to {@code warn}.
     */
    public Optional<Waypoint> forService(HasMetadata service, Consumer<String> warn) {
        if (MESH_CONTROLLER.equals(LabelSelector.labelsOf(service).get(MANAGED_LABEL))) {
            return Optional.empty(); // a waypoint's own service has no waypoint
        }
        return target(service, "service", warn);
    }

    /** The waypoint for traffic addressed to a pod directly, if one is named and ready; problems go to {@code warn}. */
    public Optional<Waypoint> forWorkload(HasMetadata pod, Consumer<String> warn) {
        if (LabelSelector.labelsOf(pod).containsKey(GATEWAY_NAME_LABEL)) {
            return Optional.empty(); // an instance of a gateway has no waypoint
        }
        return target(pod, "workload", warn);
    }

    /**
     * The waypoint the object's label (else its namespace's) names, if it takes this kind of traffic. A waypoint for
     * the other kind is reported only when the object's own label names it: a namespace label binds services and
     * pods alike, and the waypoint takes whichever kind it serves (a namespace's default {@code service} waypoint
     * leaves its pods' own traffic alone, as in Istio).
     */
    private Optional<Waypoint> target(HasMetadata object, String traffic, Consumer<String> warn) {
        String namespace = object.getMetadata().getNamespace();
        Optional<String> named = useWaypoint(object, namespace);
        boolean inherited = false;
        if (named.isEmpty()) {
            Optional<Namespace> ns = snapshot.namespace(namespace);
            if (ns.isPresent()) {
                named = useWaypoint(ns.get(), namespace);
                inherited = true;
            }
        }
        if (named.isEmpty() || named.get().isEmpty()) {
            return Optional.empty();
        }
        Waypoint waypoint = waypoints.get(named.get());
        if (waypoint == null) {
            warn.accept("waypoint " + named.get() + " does not exist or has no address yet; traffic goes without it");
            return Optional.empty();
        }
        if (!waypoint.serves(traffic)) {
            if (inherited) {
                return Optional.empty();
            }
            warn.accept("waypoint " + waypoint.key() + " is for '" + waypoint.trafficType() + "' traffic, not "
                    + traffic + " traffic; not used");
            return Optional.empty();
        }
        return Optional.of(waypoint);
    }

    /**
     * The waypoint named by an object's labels: empty when it names none, an empty string when it opts out
     * ({@code none}), else {@code namespace/name}.
     */
    private static Optional<String> useWaypoint(HasMetadata object, String defaultNamespace) {
        Map<String, String> labels = LabelSelector.labelsOf(object);
        String value = labels.get(USE_WAYPOINT_LABEL);
        if (value == null) {
            return Optional.empty();
        }
        if (value.equals("none") || value.equals("~") || value.endsWith("/none")) {
            return Optional.of("");
        }
        String namespace = labels.getOrDefault(USE_WAYPOINT_NAMESPACE_LABEL, defaultNamespace);
        String[] parts = value.split("/", -1);
        return switch (parts.length) {
            case 1 -> Optional.of(namespace + "/" + parts[0]);
            case 2 -> Optional.of(parts[0] + "/" + parts[1]);
            default -> Optional.empty();
        };
    }

    private Optional<GatewayAddress> address(Gateway gateway, MeshSettings settings) {
        var status = gateway.getStatus();
        if (status != null
                && status.getAddresses() != null
                && !status.getAddresses().isEmpty()) {
            var first = status.getAddresses().getFirst();
            if ("Hostname".equals(first.getType())) {
                return Optional.of(GatewayAddress.newBuilder()
                        .setHostname(NamespacedHostname.newBuilder()
                                .setNamespace(gateway.getMetadata().getNamespace())
                                .setHostname(first.getValue()))
                        .setHboneMtlsPort(HBONE_PORT)
                        .build());
            }
            return IpPrefix.parseAddress(first.getValue()).map(ip -> ipAddress(ip.getAddress(), settings));
        }
        Optional<Service> service = snapshot.get(
                ResourceKind.SERVICE,
                gateway.getMetadata().getNamespace(),
                gateway.getMetadata().getName(),
                Service.class);
        return service.flatMap(s -> Optional.ofNullable(s.getSpec()))
                .map(spec -> spec.getClusterIP())
                .flatMap(IpPrefix::parseAddress)
                .map(ip -> ipAddress(ip.getAddress(), settings));
    }

    private static GatewayAddress ipAddress(byte[] ip, MeshSettings settings) {
        return GatewayAddress.newBuilder()
                .setAddress(NetworkAddress.newBuilder()
                        .setNetwork(settings.network())
                        .setAddress(com.google.protobuf.ByteString.copyFrom(ip)))
                .setHboneMtlsPort(HBONE_PORT)
                .build();
    }

    public List<Waypoint> all() {
        return List.copyOf(waypoints.values());
    }
}
