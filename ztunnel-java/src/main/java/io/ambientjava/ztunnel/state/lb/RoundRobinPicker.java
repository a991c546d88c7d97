package io.ambientjava.ztunnel.state.lb;

import io.ambientjava.ztunnel.state.Endpoint;
import io.ambientjava.ztunnel.state.HealthStatus;
import io.ambientjava.ztunnel.state.LoadBalancing;
import io.ambientjava.ztunnel.state.NamespacedHostname;
import io.ambientjava.ztunnel.state.NetworkAddress;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.Workload;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks a service endpoint for a connection to {@code VIP:port}, in turn over the usable endpoints. Safe to call
 * from any thread, lock-free (one atomic increment per pick).
 *
 * <p>An endpoint is usable when it is healthy (or the service's health policy is ALLOW_ALL), has an address (or a
 * hostname, or a network gateway), is not in the caller's {@code excluded} set, and has a target port for the
 * service port. The target port is the endpoint's own mapping when set, else the service's target port. A service
 * that does not list the port has no endpoint for it.
 *
 * <p>A service's routing preference ({@code LoadBalancing}: {@code trafficDistribution: PreferClose},
 * {@code internalTrafficPolicy: Local}) ranks the usable endpoints against the calling workload, as Istio's ztunnel
 * does: an endpoint's rank is how many of the preferred scopes (region, zone, subzone, node, cluster, network), in
 * their order, it shares with the caller before the first it does not. FAILOVER picks among the best-ranked,
 * STRICT only among those sharing every scope (none: no endpoint), STANDARD ignores the preference.
 *
 * <p>Endpoints whose capacities differ are picked in proportion to them. A PASSTHROUGH service picks no endpoint:
 * the outbound router sends such calls to the address they were made to.
 */
public final class RoundRobinPicker {

    private final ConcurrentHashMap<NamespacedHostname, AtomicInteger> cursors = new ConcurrentHashMap<>();

    /**
     * Picks for a connection to a VIP.
     *
     * @param excludedWorkloadUids endpoints to skip, e.g. ones that already refused this connection
     * @return empty when no service owns the VIP or no endpoint is usable
     */
    public Optional<PickedEndpoint> pick(
            StateSnapshot snapshot, NetworkAddress vip, int servicePort, Set<String> excludedWorkloadUids) {
        return snapshot.serviceAt(vip)
                .flatMap(service -> pick(
                        snapshot,
                        service,
                        servicePort,
                        excludedWorkloadUids,
                        vip.address() instanceof Inet6Address,
                        Optional.empty()));
    }

    /**
     * Picks among a service's endpoints for no particular caller (the service's routing preference does not
     * apply); addresses of the service's first VIP's family are preferred.
     */
    public Optional<PickedEndpoint> pick(
            StateSnapshot snapshot, Service service, int servicePort, Set<String> excludedWorkloadUids) {
        return pick(snapshot, service, servicePort, excludedWorkloadUids, Optional.empty());
    }

    /** Picks among a service's endpoints for a connection from {@code caller}, by the service's preference. */
    public Optional<PickedEndpoint> pick(
            StateSnapshot snapshot,
            Service service,
            int servicePort,
            Set<String> excludedWorkloadUids,
            Optional<Workload> caller) {
        boolean preferIpv6 =
                !service.vips().isEmpty() && service.vips().getFirst().address() instanceof Inet6Address;
        return pick(snapshot, service, servicePort, excludedWorkloadUids, preferIpv6, caller);
    }

    private Optional<PickedEndpoint> pick(
            StateSnapshot snapshot,
            Service service,
            int servicePort,
            Set<String> excludedWorkloadUids,
            boolean preferIpv6,
            Optional<Workload> caller) {
        OptionalInt serviceTarget = service.ports().target(servicePort);
        if (serviceTarget.isEmpty()) {
            return Optional.empty();
        }
        List<PickedEndpoint> candidates = new ArrayList<>();
        for (Endpoint endpoint : snapshot.endpoints(service.key())) {
            Workload workload = endpoint.workload();
            if (excludedWorkloadUids.contains(workload.uid())) {
                continue;
            }
            if (endpoint.status() != HealthStatus.HEALTHY && !service.includesUnhealthyEndpoints()) {
                continue;
            }
            if (workload.addresses().isEmpty()
                    && workload.hostname().isEmpty()
                    && workload.networkGateway().isEmpty()) {
                continue;
            }
            int target = targetPort(endpoint, servicePort, serviceTarget.getAsInt());
            if (target == 0) {
                continue;
            }
            candidates.add(new PickedEndpoint(service, workload, address(workload, preferIpv6), target));
        }
        if (caller.isPresent() && service.loadBalancing().isPresent()) {
            candidates = preferred(candidates, service.loadBalancing().get(), caller.get());
        }
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        AtomicInteger cursor = cursors.computeIfAbsent(service.key(), k -> new AtomicInteger());
        return Optional.of(byCapacity(candidates, cursor.getAndIncrement()));
    }

    /**
     * The {@code turn}-th pick: each endpoint in turn, or, when their capacities differ, each as many turns in a
     * round as its capacity (a WorkloadEntry's {@code weight}), as Istio's ztunnel weighs its choice.
     */
    private static PickedEndpoint byCapacity(List<PickedEndpoint> candidates, int turn) {
        long total = 0;
        boolean equal = true;
        int first = capacity(candidates.getFirst());
        for (PickedEndpoint c : candidates) {
            total += capacity(c);
            equal &= capacity(c) == first;
        }
        if (equal) {
            return candidates.get(Math.floorMod(turn, candidates.size()));
        }
        long slot = Math.floorMod(turn, total);
        for (PickedEndpoint c : candidates) {
            slot -= capacity(c);
            if (slot < 0) {
                return c;
            }
        }
        return candidates.getLast();
    }

    private static int capacity(PickedEndpoint endpoint) {
        return Math.max(1, endpoint.workload().capacity());
    }

    private static List<PickedEndpoint> preferred(
            List<PickedEndpoint> candidates, LoadBalancing preference, Workload caller) {
        List<LoadBalancing.Scope> scopes = preference.routingPreference();
        if (scopes.isEmpty()
                || (preference.mode() != LoadBalancing.Mode.STRICT
                        && preference.mode() != LoadBalancing.Mode.FAILOVER)) {
            return candidates;
        }
        int best = preference.mode() == LoadBalancing.Mode.STRICT
                ? scopes.size()
                : candidates.stream()
                        .mapToInt(c -> rank(scopes, caller, c.workload()))
                        .max()
                        .orElse(0);
        return candidates.stream()
                .filter(c -> rank(scopes, caller, c.workload()) == best)
                .toList();
    }

    /** How many of {@code scopes}, in order, {@code endpoint} shares with {@code caller} before one it does not. */
    static int rank(List<LoadBalancing.Scope> scopes, Workload caller, Workload endpoint) {
        int rank = 0;
        for (LoadBalancing.Scope scope : scopes) {
            boolean same = switch (scope) {
                case REGION ->
                    caller.locality().region().equals(endpoint.locality().region());
                case ZONE -> caller.locality().zone().equals(endpoint.locality().zone());
                case SUBZONE ->
                    caller.locality().subzone().equals(endpoint.locality().subzone());
                case NODE -> caller.node().equals(endpoint.node());
                case CLUSTER -> caller.clusterId().equals(endpoint.clusterId());
                case NETWORK -> caller.network().equals(endpoint.network());
            };
            if (!same) {
                break;
            }
            rank++;
        }
        return rank;
    }

    private static int targetPort(Endpoint endpoint, int servicePort, int serviceTarget) {
        int own = endpoint.ports().target(servicePort).orElse(0);
        return own > 0 ? own : serviceTarget;
    }

    private static Optional<InetAddress> address(Workload workload, boolean preferIpv6) {
        return workload.addresses().stream()
                .filter(ip -> (ip instanceof Inet6Address) == preferIpv6)
                .findFirst()
                .or(() -> workload.addresses().stream().findFirst());
    }
}
