package io.ambientjava.waypoint.config;

import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.regex.Pattern;

/** Envoy's {@code ClusterLoadAssignment} to endpoints, with the mesh metadata the contract puts there. */
public final class EndpointTranslator {

    /** Dot-separated labels of letters, digits, '-' and '_' (not starting or ending with '-'), 1 to 63 each. */
    private static final Pattern DNS_NAME = Pattern.compile("(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\\.)*"
            + "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?");

    private EndpointTranslator() {}

    public static List<EndpointConfig> translate(ClusterLoadAssignment cla) {
        String path = "ClusterLoadAssignment " + cla.getClusterName();
        FieldGuard.onlyFields(cla, path, Set.of("cluster_name", "endpoints"));
        return eachEndpoint(cla, path, EndpointTranslator::endpoint);
    }

    /** Reads every {@code LbEndpoint} of every locality, in order, with its path for error messages. */
    private static <T> List<T> eachEndpoint(
            ClusterLoadAssignment cla, String path, BiFunction<LbEndpoint, String, T> read) {
        List<T> out = new ArrayList<>();
        for (int i = 0; i < cla.getEndpointsCount(); i++) {
            var locality = cla.getEndpoints(i);
            String lpath = path + ".endpoints[" + i + "]";
            FieldGuard.onlyFields(locality, lpath, Set.of("lb_endpoints", "locality"));
            for (int j = 0; j < locality.getLbEndpointsCount(); j++) {
                out.add(read.apply(locality.getLbEndpoints(j), lpath + ".lb_endpoints[" + j + "]"));
            }
        }
        return out;
    }

    private static EndpointConfig endpoint(LbEndpoint e, String path) {
        var sa = socketAddress(e, path);
        InetAddress ip = ipLiteral(sa.getAddress())
                .orElseThrow(() -> FieldGuard.invalid(
                        path + ".endpoint.address.socket_address.address", "'" + sa.getAddress() + "' is not an IP"));
        WorkloadEndpoint pod = e.hasMetadata()
                ? WorkloadEndpoint.fromMetadata(e.getMetadata(), path + ".metadata")
                : WorkloadEndpoint.PLAIN;
        return new EndpointConfig(
                new InetSocketAddress(ip, sa.getPortValue()),
                weight(e),
                healthy(e),
                pod.hbone(),
                pod.identity(),
                pod.workload());
    }

    /**
     * The inline {@code load_assignment} of a STRICT_DNS or LOGICAL_DNS cluster: the same structure as an EDS
     * assignment, but an address may be a DNS name, and the endpoints are outside the mesh (plain TCP).
     *
     * @param path the assignment's path in its cluster, for error messages
     */
    static List<DnsDiscovery.Target> dnsTargets(ClusterLoadAssignment cla, String clusterName, String path) {
        FieldGuard.onlyFields(cla, path, Set.of("cluster_name", "endpoints"));
        if (!cla.getClusterName().isEmpty() && !cla.getClusterName().equals(clusterName)) {
            throw FieldGuard.invalid(
                    path + ".cluster_name",
                    "must be empty or the cluster's own name, was '" + cla.getClusterName() + "'");
        }
        return eachEndpoint(cla, path, EndpointTranslator::dnsTarget);
    }

    private static DnsDiscovery.Target dnsTarget(LbEndpoint e, String path) {
        var sa = socketAddress(e, path);
        String apath = path + ".endpoint.address.socket_address.address";
        String host = sa.getAddress();
        if (host.isEmpty()) {
            throw FieldGuard.invalid(apath, "empty; a DNS cluster's endpoint needs a DNS name or an IP");
        }
        if (looksLikeIp(host)) {
            if (ipLiteral(host).isEmpty()) {
                throw FieldGuard.invalid(apath, "'" + host + "' is not an IP");
            }
        } else {
            host = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
            if (!DNS_NAME.matcher(host).matches() || host.length() > 253) {
                throw FieldGuard.invalid(
                        apath,
                        "'" + sa.getAddress() + "' is neither an IP nor a DNS name (labels of letters, digits, '-' and"
                                + " '_', 1 to 63 characters each, at most 253 in all)");
            }
            host = host.toLowerCase(Locale.ROOT);
        }
        WorkloadEndpoint facts = e.hasMetadata()
                ? WorkloadEndpoint.fromMetadata(e.getMetadata(), path + ".metadata")
                : WorkloadEndpoint.PLAIN;
        if (facts.hbone()) {
            throw FieldGuard.invalid(
                    path + ".metadata.filter_metadata.ambient.hbone",
                    "a DNS cluster's endpoints are outside the mesh and reached in plain TCP; hbone must be false");
        }
        return new DnsDiscovery.Target(host, sa.getPortValue(), weight(e), healthy(e), facts.workload());
    }

    /** The endpoint's checked {@code socket_address} (the address itself is left to the caller). */
    private static io.envoyproxy.envoy.config.core.v3.SocketAddress socketAddress(LbEndpoint e, String path) {
        FieldGuard.onlyFields(e, path, Set.of("endpoint", "health_status", "metadata", "load_balancing_weight"));
        FieldGuard.onlyFields(e.getEndpoint(), path + ".endpoint", Set.of("address", "hostname"));
        var address = e.getEndpoint().getAddress();
        if (!address.hasSocketAddress()) {
            throw FieldGuard.invalid(path + ".endpoint.address", "needs a socket_address");
        }
        var sa = address.getSocketAddress();
        FieldGuard.onlyFields(
                sa, path + ".endpoint.address.socket_address", Set.of("address", "port_value", "protocol"));
        if (sa.getPortValue() <= 0 || sa.getPortValue() > 65535) {
            throw FieldGuard.invalid(path + ".endpoint.address.socket_address.port_value", "must be 1..65535");
        }
        return sa;
    }

    private static boolean healthy(LbEndpoint e) {
        return e.getHealthStatus() == HealthStatus.HEALTHY || e.getHealthStatus() == HealthStatus.UNKNOWN;
    }

    private static int weight(LbEndpoint e) {
        return Math.max(
                1, e.hasLoadBalancingWeight() ? e.getLoadBalancingWeight().getValue() : 1);
    }

    /** {@code s} as an IP address if it is an IPv4 or IPv6 literal (never a DNS lookup). */
    static Optional<InetAddress> ipLiteral(String s) {
        if (!looksLikeIp(s)) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.ofLiteral(s)); // unlike getByName, never a lookup for a malformed one
        } catch (IllegalArgumentException ex) {
            return Optional.empty();
        }
    }

    private static boolean looksLikeIp(String s) {
        return !s.isEmpty() && (s.indexOf(':') >= 0 || s.chars().allMatch(ch -> ch == '.' || Character.isDigit(ch)));
    }
}
