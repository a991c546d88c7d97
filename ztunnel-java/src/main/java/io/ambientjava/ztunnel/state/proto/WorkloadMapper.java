package io.ambientjava.ztunnel.state.proto;

import io.ambientjava.api.workload.Port;
import io.ambientjava.api.workload.PortList;
import io.ambientjava.ztunnel.state.ApplicationTunnel;
import io.ambientjava.ztunnel.state.HealthStatus;
import io.ambientjava.ztunnel.state.Locality;
import io.ambientjava.ztunnel.state.NamespacedHostname;
import io.ambientjava.ztunnel.state.NetworkMode;
import io.ambientjava.ztunnel.state.PortMap;
import io.ambientjava.ztunnel.state.Protocol;
import io.ambientjava.ztunnel.state.Workload;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** {@code istio.workload.Workload} to {@link Workload}, with Istio's defaults for unset fields. */
public final class WorkloadMapper {

    private WorkloadMapper() {}

    /**
     * Maps and validates a workload.
     *
     * @throws io.ambientjava.ztunnel.state.InvalidResourceException naming the workload and the offending field
     */
    public static Workload toDomain(io.ambientjava.api.workload.Workload proto) {
        ResourceContext ctx =
                ResourceContext.of("workload", proto.getUid().isEmpty() ? proto.getName() : proto.getUid());
        ctx.required(proto.getUid(), "uid");
        ctx.required(proto.getNamespace(), "namespace");

        List<InetAddress> addresses = new ArrayList<>();
        for (int i = 0; i < proto.getAddressesCount(); i++) {
            addresses.add(ctx.ip(proto.getAddresses(i), "addresses[" + i + "]"));
        }

        Workload.Builder builder = Workload.builder(proto.getUid(), proto.getNamespace())
                .name(proto.getName())
                .serviceAccount(orDefault(proto.getServiceAccount(), Workload.DEFAULT_SERVICE_ACCOUNT))
                .trustDomain(orDefault(proto.getTrustDomain(), Workload.DEFAULT_TRUST_DOMAIN))
                .clusterId(orDefault(proto.getClusterId(), Workload.DEFAULT_CLUSTER_ID))
                .node(proto.getNode())
                .network(proto.getNetwork())
                .addresses(addresses)
                .hostname(proto.getHostname())
                .protocol(protocol(proto, ctx))
                .networkMode(networkMode(proto, ctx))
                .canonicalName(proto.getCanonicalName())
                .canonicalRevision(proto.getCanonicalRevision())
                .workloadName(proto.getWorkloadName())
                .workloadType(workloadType(proto, ctx))
                .services(services(proto.getServicesMap(), ctx))
                .authorizationPolicies(proto.getAuthorizationPoliciesList())
                .status(status(proto, ctx))
                .nativeTunnel(proto.getNativeTunnel())
                .capacity(capacity(proto, ctx));
        if (proto.hasWaypoint()) {
            builder.waypoint(ctx.gateway(proto.getWaypoint(), "waypoint"));
        }
        if (proto.hasNetworkGateway()) {
            builder.networkGateway(ctx.gateway(proto.getNetworkGateway(), "network_gateway"));
        }
        if (proto.hasLocality()) {
            var l = proto.getLocality();
            builder.locality(new Locality(l.getRegion(), l.getZone(), l.getSubzone()));
        }
        if (proto.hasApplicationTunnel()) {
            builder.applicationTunnel(applicationTunnel(proto.getApplicationTunnel(), ctx));
        }
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw ctx.invalid("workload", e.getMessage());
        }
    }

    private static String orDefault(String value, String fallback) {
        return value.isEmpty() ? fallback : value;
    }

    private static Protocol protocol(io.ambientjava.api.workload.Workload proto, ResourceContext ctx) {
        return switch (proto.getTunnelProtocol()) {
            case NONE -> Protocol.TCP;
            case HBONE -> Protocol.HBONE;
            case LEGACY_ISTIO_MTLS -> throw ctx.invalid("tunnel_protocol", "LEGACY_ISTIO_MTLS is not supported");
            case UNRECOGNIZED ->
                throw ctx.invalid("tunnel_protocol", "unknown value " + proto.getTunnelProtocolValue());
        };
    }

    private static NetworkMode networkMode(io.ambientjava.api.workload.Workload proto, ResourceContext ctx) {
        return switch (proto.getNetworkMode()) {
            case STANDARD -> NetworkMode.STANDARD;
            case HOST_NETWORK -> NetworkMode.HOST_NETWORK;
            case UNRECOGNIZED -> throw ctx.invalid("network_mode", "unknown value " + proto.getNetworkModeValue());
        };
    }

    private static HealthStatus status(io.ambientjava.api.workload.Workload proto, ResourceContext ctx) {
        return switch (proto.getStatus()) {
            case HEALTHY -> HealthStatus.HEALTHY;
            case UNHEALTHY -> HealthStatus.UNHEALTHY;
            case UNRECOGNIZED -> throw ctx.invalid("status", "unknown value " + proto.getStatusValue());
        };
    }

    private static String workloadType(io.ambientjava.api.workload.Workload proto, ResourceContext ctx) {
        if (proto.getWorkloadType() == io.ambientjava.api.workload.WorkloadType.UNRECOGNIZED) {
            throw ctx.invalid("workload_type", "unknown value " + proto.getWorkloadTypeValue());
        }
        return proto.getWorkloadType().name().toLowerCase(Locale.ROOT);
    }

    private static int capacity(io.ambientjava.api.workload.Workload proto, ResourceContext ctx) {
        if (!proto.hasCapacity()) {
            return 1;
        }
        int value = proto.getCapacity().getValue();
        if (value < 0) {
            throw ctx.invalid("capacity", Integer.toUnsignedString(value) + " is too large");
        }
        return value;
    }

    private static ApplicationTunnel applicationTunnel(
            io.ambientjava.api.workload.ApplicationTunnel tunnel, ResourceContext ctx) {
        ApplicationTunnel.Kind kind = switch (tunnel.getProtocol()) {
            case NONE -> ApplicationTunnel.Kind.NONE;
            case PROXY -> ApplicationTunnel.Kind.PROXY;
            case UNRECOGNIZED ->
                throw ctx.invalid("application_tunnel.protocol", "unknown value " + tunnel.getProtocolValue());
        };
        return new ApplicationTunnel(kind, ctx.port(tunnel.getPort(), "application_tunnel.port", 0));
    }

    private static Map<NamespacedHostname, PortMap> services(Map<String, PortList> services, ResourceContext ctx) {
        Map<NamespacedHostname, PortMap> result = new LinkedHashMap<>();
        // sorted, so that the first bad entry reported is always the same one
        for (Map.Entry<String, PortList> entry : new TreeMap<>(services).entrySet()) {
            String field = "services[\"" + entry.getKey() + "\"]";
            NamespacedHostname key;
            try {
                key = NamespacedHostname.parse(entry.getKey());
            } catch (IllegalArgumentException e) {
                throw ctx.invalid(field, e.getMessage());
            }
            result.put(key, portMap(entry.getValue().getPortsList(), field + ".ports", ctx));
        }
        return result;
    }

    static PortMap portMap(List<Port> ports, String field, ResourceContext ctx) {
        Map<Integer, Integer> map = new LinkedHashMap<>();
        for (int i = 0; i < ports.size(); i++) {
            Port port = ports.get(i);
            int service = ctx.port(port.getServicePort(), field + "[" + i + "].service_port", 1);
            int target = ctx.port(port.getTargetPort(), field + "[" + i + "].target_port", 0);
            if (map.put(service, target) != null) {
                throw ctx.invalid(field + "[" + i + "].service_port", "port " + service + " is listed twice");
            }
        }
        return new PortMap(map);
    }
}
