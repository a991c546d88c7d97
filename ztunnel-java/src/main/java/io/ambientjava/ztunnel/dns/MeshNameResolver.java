package io.ambientjava.ztunnel.dns;

import io.ambientjava.ztunnel.state.Endpoint;
import io.ambientjava.ztunnel.state.NetworkAddress;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.StateSnapshot;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Which addresses a name has in the mesh, as ztunnel's DNS proxy answers a pod: a service's hostname
 * ({@code <name>.<ns>.svc.<domain>}, or a ServiceEntry host) maps to its VIPs; a headless service (no VIPs) to its
 * endpoints' addresses. The pod's stub resolver may send the short forms its search path makes from a name
 * ({@code name}, {@code name.ns}, {@code name.ns.svc}, expanded or not, and a full name with a search suffix
 * appended by mistake); each is tried in the order a resolver would mean it.
 *
 * <p>A name that is a mesh service is answered authoritatively: with no address of the asked family the answer is
 * empty (no data), never forwarded, so a pod does not get a VIP from the mesh for A and a different one from the
 * upstream for AAAA.
 */
public final class MeshNameResolver {
    private final String clusterDomain;

    public MeshNameResolver(String clusterDomain) {
        this.clusterDomain = normalize(clusterDomain);
    }

    /** The address family asked for. */
    public enum Family {
        IPV4,
        IPV6
    }

    /**
     * The addresses of {@code name} in the mesh, of {@code family}; empty when the name is not a mesh name (then
     * it should be forwarded). {@code clientNamespace} is the asking pod's namespace, when known.
     */
    public Optional<List<InetAddress>> resolve(
            StateSnapshot state, String name, Family family, Optional<String> clientNamespace) {
        for (String candidate : candidates(normalize(name), clientNamespace)) {
            List<Service> services = state.servicesByHostname(candidate);
            if (!services.isEmpty()) {
                return Optional.of(addresses(state, services, family));
            }
        }
        return Optional.empty();
    }

    /** The names {@code name} may stand for, most literal first. */
    List<String> candidates(String name, Optional<String> clientNamespace) {
        Set<String> names = new LinkedHashSet<>();
        if (name.isEmpty()) {
            return List.of();
        }
        List<String> bases = new ArrayList<>();
        bases.add(name);
        // a search suffix the stub appended to a name that was complete already
        List<String> searchSuffixes = new ArrayList<>();
        clientNamespace.ifPresent(ns -> searchSuffixes.add(ns + ".svc." + clusterDomain));
        searchSuffixes.add("svc." + clusterDomain);
        searchSuffixes.add(clusterDomain);
        for (String suffix : searchSuffixes) {
            if (name.endsWith("." + suffix)) {
                bases.add(name.substring(0, name.length() - suffix.length() - 1));
            }
        }
        for (String base : bases) {
            names.add(base);
            String[] labels = base.split("\\.");
            switch (labels.length) {
                case 1 -> clientNamespace.ifPresent(ns -> names.add(base + "." + ns + ".svc." + clusterDomain));
                case 2 -> names.add(base + ".svc." + clusterDomain);
                case 3 -> {
                    if (labels[2].equals("svc")) {
                        names.add(base + "." + clusterDomain);
                    }
                }
                default -> {}
            }
        }
        return List.copyOf(names);
    }

    private static List<InetAddress> addresses(StateSnapshot state, List<Service> services, Family family) {
        Set<InetAddress> found = new LinkedHashSet<>();
        for (Service service : services) {
            if (!service.vips().isEmpty()) {
                service.vips().stream()
                        .map(NetworkAddress::address)
                        .filter(address -> matches(address, family))
                        .forEach(found::add);
            } else {
                for (Endpoint endpoint : state.endpoints(service.key())) {
                    endpoint.workload().addresses().stream()
                            .filter(address -> matches(address, family))
                            .forEach(found::add);
                }
            }
        }
        return List.copyOf(found);
    }

    private static boolean matches(InetAddress address, Family family) {
        return family == Family.IPV4 ? address instanceof Inet4Address : address instanceof Inet6Address;
    }

    /** Lower case, no trailing dot. */
    static String normalize(String name) {
        String lower = name.strip().toLowerCase(Locale.ROOT);
        while (lower.endsWith(".")) {
            lower = lower.substring(0, lower.length() - 1);
        }
        return lower;
    }
}
