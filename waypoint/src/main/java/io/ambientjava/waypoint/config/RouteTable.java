package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Envoy's {@code RouteConfiguration}. */
public record RouteTable(String name, List<VirtualHost> virtualHosts) {

    public RouteTable {
        virtualHosts = List.copyOf(virtualHosts);
    }

    /**
     * The virtual host for {@code authority} as Envoy picks it: exact domain, then the longest suffix wildcard,
     * then the longest prefix wildcard, then {@code *}. A domain naming the full authority (with port) wins;
     * otherwise the port is ignored.
     */
    public Optional<VirtualHost> virtualHostFor(String authority) {
        String host = authority == null ? "" : authority.toLowerCase(Locale.ROOT);
        for (VirtualHost vh : virtualHosts) {
            if (vh.domains().contains(host)) {
                return Optional.of(vh);
            }
        }
        int colon = host.lastIndexOf(':');
        boolean hasPort = colon > 0 && !host.endsWith("]") && host.indexOf(':') == colon;
        return find(hasPort ? host.substring(0, colon) : host);
    }

    private Optional<VirtualHost> find(String host) {
        VirtualHost best = null;
        int bestRank = -1;
        int bestLength = -1;
        for (VirtualHost vh : virtualHosts) {
            for (String domain : vh.domains()) {
                int rank;
                int length = domain.length();
                if (domain.equals(host)) {
                    rank = 3;
                } else if (domain.startsWith("*") && domain.length() > 1 && host.endsWith(domain.substring(1))) {
                    rank = 2;
                } else if (domain.endsWith("*")
                        && domain.length() > 1
                        && host.startsWith(domain.substring(0, domain.length() - 1))) {
                    rank = 1;
                } else if (domain.equals("*")) {
                    rank = 0;
                } else {
                    continue;
                }
                if (rank > bestRank || (rank == bestRank && length > bestLength)) {
                    best = vh;
                    bestRank = rank;
                    bestLength = length;
                }
            }
        }
        return Optional.ofNullable(best);
    }
}
