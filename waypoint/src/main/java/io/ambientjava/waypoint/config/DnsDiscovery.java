package io.ambientjava.waypoint.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a {@code STRICT_DNS} or {@code LOGICAL_DNS} cluster finds its endpoints: the names (or IP literals) of its
 * inline {@code load_assignment}, resolved by the waypoint itself. Its endpoints are outside the mesh: plain TCP,
 * with the cluster's TLS origination if it has one.
 *
 * @param logical {@code LOGICAL_DNS}: only the first address of each target; else ({@code STRICT_DNS}) every one
 * @param refreshRate how often each name is resolved again ({@code dns_refresh_rate}, Envoy: 5 s)
 * @param respectTtl resolve again when the answer's TTL runs out rather than at {@code refreshRate}
 *     ({@code respect_dns_ttl}; a TTL of 0 falls back to {@code refreshRate})
 */
public record DnsDiscovery(
        boolean logical, List<Target> targets, Duration refreshRate, boolean respectTtl, LookupFamily lookupFamily) {

    /** Envoy's {@code dns_lookup_family}. */
    public enum LookupFamily {
        /** IPv6 addresses if there are any, else IPv4 (Envoy's default). */
        AUTO,
        V4_ONLY,
        V6_ONLY,
        /** IPv4 addresses if there are any, else IPv6. */
        V4_PREFERRED,
        /** Both. */
        ALL
    }

    /**
     * One {@code lb_endpoint}: a name to resolve (or an IP literal, used as it is) and the port to reach it on.
     *
     * @param host a lower-case DNS name without a trailing dot, or an IP literal
     * @param weight given to every address the name resolves to
     * @param workload {@code <pod>;<namespace>;<app>;<version>;<cluster>} from the {@code istio} metadata
     */
    public record Target(String host, int port, int weight, boolean healthy, Optional<String> workload) {

        public Target {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(workload, "workload");
        }

        /** The IP literal this target names, if it is one (then it needs no resolving). */
        public Optional<InetAddress> literal() {
            return EndpointTranslator.ipLiteral(host);
        }

        /** The endpoint at one of its addresses: plain TCP, outside the mesh. */
        public EndpointConfig at(InetAddress address) {
            return new EndpointConfig(
                    new InetSocketAddress(address, port), weight, healthy, false, Optional.empty(), workload);
        }
    }

    public DnsDiscovery {
        targets = List.copyOf(targets);
        Objects.requireNonNull(refreshRate, "refreshRate");
        Objects.requireNonNull(lookupFamily, "lookupFamily");
    }
}
