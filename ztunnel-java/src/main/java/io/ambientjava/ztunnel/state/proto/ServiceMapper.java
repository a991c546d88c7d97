package io.ambientjava.ztunnel.state.proto;

import io.ambientjava.ztunnel.state.LoadBalancing;
import io.ambientjava.ztunnel.state.NetworkAddress;
import io.ambientjava.ztunnel.state.Service;
import java.util.ArrayList;
import java.util.List;

/** {@code istio.workload.Service} to {@link Service}. */
public final class ServiceMapper {

    private ServiceMapper() {}

    /**
     * Maps and validates a service.
     *
     * @throws io.ambientjava.ztunnel.state.InvalidResourceException naming the service and the offending field
     */
    public static Service toDomain(io.ambientjava.api.workload.Service proto) {
        ResourceContext ctx = ResourceContext.of("service", proto.getNamespace() + "/" + proto.getHostname());
        ctx.required(proto.getNamespace(), "namespace");
        ctx.required(proto.getHostname(), "hostname");

        List<NetworkAddress> vips = new ArrayList<>();
        for (int i = 0; i < proto.getAddressesCount(); i++) {
            vips.add(ctx.networkAddress(proto.getAddresses(i), "addresses[" + i + "]"));
        }
        Service.Builder builder = Service.builder(proto.getNamespace(), proto.getHostname())
                .name(proto.getName())
                .vips(vips)
                .ports(WorkloadMapper.portMap(proto.getPortsList(), "ports", ctx))
                .subjectAltNames(proto.getSubjectAltNamesList())
                .canonical(proto.getCanonical());
        if (proto.hasWaypoint()) {
            builder.waypoint(ctx.gateway(proto.getWaypoint(), "waypoint"));
        }
        if (proto.hasLoadBalancing()) {
            builder.loadBalancing(loadBalancing(proto.getLoadBalancing(), ctx));
        }
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw ctx.invalid("service", e.getMessage());
        }
    }

    private static LoadBalancing loadBalancing(io.ambientjava.api.workload.LoadBalancing lb, ResourceContext ctx) {
        List<LoadBalancing.Scope> scopes = new ArrayList<>();
        for (int i = 0; i < lb.getRoutingPreferenceCount(); i++) {
            String field = "load_balancing.routing_preference[" + i + "]";
            scopes.add(
                    switch (lb.getRoutingPreference(i)) {
                        case REGION -> LoadBalancing.Scope.REGION;
                        case ZONE -> LoadBalancing.Scope.ZONE;
                        case SUBZONE -> LoadBalancing.Scope.SUBZONE;
                        case NODE -> LoadBalancing.Scope.NODE;
                        case CLUSTER -> LoadBalancing.Scope.CLUSTER;
                        case NETWORK -> LoadBalancing.Scope.NETWORK;
                        case UNSPECIFIED_SCOPE -> throw ctx.invalid(field, "UNSPECIFIED_SCOPE is not a scope");
                        case UNRECOGNIZED ->
                            throw ctx.invalid(field, "unknown value " + lb.getRoutingPreferenceValue(i));
                    });
        }
        LoadBalancing.Mode mode = switch (lb.getMode()) {
            case UNSPECIFIED_MODE -> LoadBalancing.Mode.STANDARD;
            case STRICT -> LoadBalancing.Mode.STRICT;
            case FAILOVER -> LoadBalancing.Mode.FAILOVER;
            case PASSTHROUGH -> LoadBalancing.Mode.PASSTHROUGH;
            case UNRECOGNIZED -> throw ctx.invalid("load_balancing.mode", "unknown value " + lb.getModeValue());
        };
        LoadBalancing.HealthPolicy health = switch (lb.getHealthPolicy()) {
            case ONLY_HEALTHY -> LoadBalancing.HealthPolicy.ONLY_HEALTHY;
            case ALLOW_ALL -> LoadBalancing.HealthPolicy.ALLOW_ALL;
            case UNRECOGNIZED ->
                throw ctx.invalid("load_balancing.health_policy", "unknown value " + lb.getHealthPolicyValue());
        };
        return new LoadBalancing(scopes, mode, health);
    }
}
