package io.ambientjava.waypoint.config;

import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Envoy's {@code ClusterLoadAssignment} to endpoints, with the mesh metadata the contract puts there. */
public final class EndpointTranslator {

    private EndpointTranslator() {}

    public static List<EndpointConfig> translate(ClusterLoadAssignment cla) {
        String path = "ClusterLoadAssignment " + cla.getClusterName();
        FieldGuard.onlyFields(cla, path, Set.of("cluster_name", "endpoints"));
        List<EndpointConfig> out = new ArrayList<>();
        for (int i = 0; i < cla.getEndpointsCount(); i++) {
            var locality = cla.getEndpoints(i);
            String lpath = path + ".endpoints[" + i + "]";
            FieldGuard.onlyFields(locality, lpath, Set.of("lb_endpoints", "locality"));
            for (int j = 0; j < locality.getLbEndpointsCount(); j++) {
                out.add(endpoint(locality.getLbEndpoints(j), lpath + ".lb_endpoints[" + j + "]"));
            }
        }
        return out;
    }

    private static EndpointConfig endpoint(LbEndpoint e, String path) {
        FieldGuard.onlyFields(e, path, Set.of("endpoint", "health_status", "metadata", "load_balancing_weight"));
        FieldGuard.onlyFields(e.getEndpoint(), path + ".endpoint", Set.of("address", "hostname"));
        var address = e.getEndpoint().getAddress();
        if (!address.hasSocketAddress()) {
            throw FieldGuard.invalid(path + ".endpoint.address", "needs a socket_address");
        }
        var sa = address.getSocketAddress();
        FieldGuard.onlyFields(
                sa, path + ".endpoint.address.socket_address", Set.of("address", "port_value", "protocol"));
        InetAddress ip;
        try {
            if (!looksLikeIp(sa.getAddress())) {
                throw FieldGuard.invalid(
                        path + ".endpoint.address.socket_address.address", "'" + sa.getAddress() + "' is not an IP");
            }
            ip = InetAddress.getByName(sa.getAddress());
        } catch (UnknownHostException ex) {
            throw FieldGuard.invalid(
                    path + ".endpoint.address.socket_address.address", "'" + sa.getAddress() + "' is not an IP");
        }
        if (sa.getPortValue() <= 0 || sa.getPortValue() > 65535) {
            throw FieldGuard.invalid(path + ".endpoint.address.socket_address.port_value", "must be 1..65535");
        }
        boolean healthy = e.getHealthStatus() == HealthStatus.HEALTHY || e.getHealthStatus() == HealthStatus.UNKNOWN;
        WorkloadEndpoint pod = e.hasMetadata()
                ? WorkloadEndpoint.fromMetadata(e.getMetadata(), path + ".metadata")
                : WorkloadEndpoint.PLAIN;
        int weight = e.hasLoadBalancingWeight() ? e.getLoadBalancingWeight().getValue() : 1;
        return new EndpointConfig(
                new InetSocketAddress(ip, sa.getPortValue()),
                Math.max(1, weight),
                healthy,
                pod.hbone(),
                pod.identity(),
                pod.workload());
    }

    private static boolean looksLikeIp(String s) {
        return !s.isEmpty() && (s.indexOf(':') >= 0 || s.chars().allMatch(ch -> ch == '.' || Character.isDigit(ch)));
    }
}
