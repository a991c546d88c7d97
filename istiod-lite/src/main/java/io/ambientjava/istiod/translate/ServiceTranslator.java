package io.ambientjava.istiod.translate;

import com.google.protobuf.ByteString;
import io.ambientjava.api.workload.AppProtocol;
import io.ambientjava.api.workload.IPFamilies;
import io.ambientjava.api.workload.LoadBalancing;
import io.ambientjava.api.workload.NetworkAddress;
import io.ambientjava.api.workload.Port;
import io.ambientjava.istiod.config.IpPrefix;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * A Kubernetes Service as an {@code istio.workload.Service}: hostname {@code <name>.<ns>.svc.<suffix>}, its
 * cluster IPs as VIPs, its ports (a named target port is sent as 0; each workload's entry resolves it against
 * the pod's container ports), the waypoint it uses, and its load-balancing hints.
 */
final class ServiceTranslator {

    private final MeshSettings settings;

    ServiceTranslator(MeshSettings settings) {
        this.settings = settings;
    }

    io.ambientjava.api.workload.Service translate(
            Service service,
            java.util.Optional<io.fabric8.kubernetes.api.model.Namespace> namespaceObject,
            WaypointIndex waypoints,
            Consumer<String> warn) {
        ServiceSpec spec = service.getSpec() == null ? new ServiceSpec() : service.getSpec();
        String name = service.getMetadata().getName();
        String namespace = service.getMetadata().getNamespace();
        var builder = io.ambientjava.api.workload.Service.newBuilder()
                .setName(name)
                .setNamespace(namespace)
                .setHostname(settings.serviceHostname(name, namespace))
                .setCanonical(true);
        for (String vip : vips(spec)) {
            IpPrefix.parseAddress(vip)
                    .ifPresent(ip -> builder.addAddresses(NetworkAddress.newBuilder()
                            .setNetwork(settings.network())
                            .setAddress(ByteString.copyFrom(ip.getAddress()))));
        }
        for (ServicePort port : spec.getPorts() == null ? List.<ServicePort>of() : spec.getPorts()) {
            if (port.getPort() == null) {
                continue;
            }
            Integer target = port.getTargetPort() == null
                    ? port.getPort()
                    : port.getTargetPort().getIntVal();
            builder.addPorts(Port.newBuilder()
                    .setServicePort(port.getPort())
                    .setTargetPort(target == null ? 0 : target)
                    .setAppProtocol(appProtocol(port)));
        }
        waypoints.forService(service, warn).ifPresent(w -> builder.setWaypoint(w.address()));
        loadBalancing(spec, trafficDistribution(spec, service, namespaceObject)).ifPresent(builder::setLoadBalancing);
        builder.setIpFamilies(ipFamilies(spec));
        return builder.build();
    }

    static List<String> vips(ServiceSpec spec) {
        List<String> candidates =
                spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()
                        ? spec.getClusterIPs()
                        : spec.getClusterIP() == null ? List.of() : List.of(spec.getClusterIP());
        List<String> vips = new ArrayList<>();
        for (String ip : candidates) {
            if (ip != null && !ip.isEmpty() && !ip.equals("None")) {
                vips.add(ip);
            }
        }
        return vips;
    }

    /**
     * Istio's reading of a port's protocol: {@code appProtocol} first, else the port name's prefix before
     * {@code -} ({@code http-web}, {@code grpc}); only the HTTP family matters to ztunnel.
     */
    static AppProtocol appProtocol(ServicePort port) {
        String declared = port.getAppProtocol();
        if (declared == null || declared.isEmpty()) {
            String name = port.getName() == null ? "" : port.getName();
            int dash = name.indexOf('-');
            declared = dash < 0 ? name : name.substring(0, dash);
        }
        return appProtocol(declared);
    }

    /** A declared protocol ({@code http}, {@code HTTP2}, {@code grpc}, ...; a ServiceEntry's too) as ztunnel's. */
    static AppProtocol appProtocol(String declared) {
        return switch (declared == null ? "" : declared.toLowerCase(Locale.ROOT)) {
            case "http" -> AppProtocol.HTTP11;
            case "http2", "h2c", "kubernetes.io/h2c" -> AppProtocol.HTTP2;
            case "grpc" -> AppProtocol.GRPC;
            default -> AppProtocol.UNKNOWN;
        };
    }

    static final String TRAFFIC_DISTRIBUTION_ANNOTATION = "networking.istio.io/traffic-distribution";

    /** Where a Service's traffic should stay, as Istio reads it. */
    enum Distribution {
        ANY,
        SAME_ZONE,
        SAME_NODE
    }

    /**
     * {@code spec.trafficDistribution} ({@code PreferClose} and {@code PreferSameZone} keep traffic in the zone,
     * {@code PreferSameNode} on the node), else the {@code networking.istio.io/traffic-distribution} annotation of
     * the Service, else of its namespace (the same values, any case).
     */
    static Distribution trafficDistribution(
            ServiceSpec spec,
            io.fabric8.kubernetes.api.model.HasMetadata service,
            java.util.Optional<io.fabric8.kubernetes.api.model.Namespace> namespace) {
        String written = spec == null ? null : spec.getTrafficDistribution();
        if ("PreferClose".equals(written) || "PreferSameZone".equals(written)) {
            return Distribution.SAME_ZONE;
        }
        if ("PreferSameNode".equals(written)) {
            return Distribution.SAME_NODE;
        }
        String annotated = annotation(service.getMetadata().getAnnotations());
        if (annotated == null) {
            annotated = namespace
                    .map(n -> annotation(n.getMetadata().getAnnotations()))
                    .orElse(null);
        }
        if (annotated == null) {
            return Distribution.ANY;
        }
        return switch (annotated.toLowerCase(java.util.Locale.ROOT)) {
            case "preferclose", "prefersamezone" -> Distribution.SAME_ZONE;
            case "prefersamenode" -> Distribution.SAME_NODE;
            default -> Distribution.ANY;
        };
    }

    private static String annotation(java.util.Map<String, String> annotations) {
        String value = annotations == null ? null : annotations.get(TRAFFIC_DISTRIBUTION_ANNOTATION);
        return value == null || value.isEmpty() ? null : value;
    }

    /**
     * A Service's {@code LoadBalancing}: {@code internalTrafficPolicy: Local} allows only endpoints on the caller's
     * node; otherwise the traffic distribution's preference ({@link #preference}); {@code publishNotReadyAddresses}
     * lets unready endpoints serve.
     */
    static java.util.Optional<LoadBalancing> loadBalancing(ServiceSpec spec, Distribution distribution) {
        java.util.Optional<LoadBalancing.Builder> lb = "Local".equals(spec.getInternalTrafficPolicy())
                ? java.util.Optional.of(LoadBalancing.newBuilder()
                        .addRoutingPreference(LoadBalancing.Scope.NODE)
                        .setMode(LoadBalancing.Mode.STRICT))
                : preference(distribution);
        if (Boolean.TRUE.equals(spec.getPublishNotReadyAddresses())) {
            lb = java.util.Optional.of(
                    lb.orElseGet(LoadBalancing::newBuilder).setHealthPolicy(LoadBalancing.HealthPolicy.ALLOW_ALL));
        }
        return lb.map(LoadBalancing.Builder::build);
    }

    /**
     * Istio's routing preference for a traffic distribution: same zone prefers network, region and zone, then
     * further; same node goes down to subzone and node first; any: none.
     */
    static java.util.Optional<LoadBalancing.Builder> preference(Distribution distribution) {
        return switch (distribution) {
            case ANY -> java.util.Optional.empty();
            case SAME_ZONE ->
                java.util.Optional.of(LoadBalancing.newBuilder()
                        .addRoutingPreference(LoadBalancing.Scope.NETWORK)
                        .addRoutingPreference(LoadBalancing.Scope.REGION)
                        .addRoutingPreference(LoadBalancing.Scope.ZONE)
                        .setMode(LoadBalancing.Mode.FAILOVER));
            case SAME_NODE ->
                java.util.Optional.of(LoadBalancing.newBuilder()
                        .addRoutingPreference(LoadBalancing.Scope.NETWORK)
                        .addRoutingPreference(LoadBalancing.Scope.REGION)
                        .addRoutingPreference(LoadBalancing.Scope.ZONE)
                        .addRoutingPreference(LoadBalancing.Scope.SUBZONE)
                        .addRoutingPreference(LoadBalancing.Scope.NODE)
                        .setMode(LoadBalancing.Mode.FAILOVER));
        };
    }

    private static IPFamilies ipFamilies(ServiceSpec spec) {
        List<String> families = spec.getIpFamilies() == null ? List.of() : spec.getIpFamilies();
        if (families.size() == 2) {
            return IPFamilies.DUAL;
        }
        if (families.size() == 1) {
            return families.getFirst().equals("IPv6") ? IPFamilies.IPV6_ONLY : IPFamilies.IPV4_ONLY;
        }
        return IPFamilies.AUTOMATIC;
    }
}
