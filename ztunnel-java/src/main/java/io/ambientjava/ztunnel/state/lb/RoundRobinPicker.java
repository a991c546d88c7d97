package io.ambientjava.ztunnel.state.lb;

import io.ambientjava.ztunnel.state.Endpoint;
import io.ambientjava.ztunnel.state.HealthStatus;
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
 * <p>Not considered yet: locality routing preferences, capacity weights, and PASSTHROUGH mode (callers check
 * {@code service.loadBalancing()} for that before picking).
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
                        snapshot, service, servicePort, excludedWorkloadUids, vip.address() instanceof Inet6Address));
    }

    /** Picks among a service's endpoints; addresses of the service's first VIP's family are preferred. */
    public Optional<PickedEndpoint> pick(
            StateSnapshot snapshot, Service service, int servicePort, Set<String> excludedWorkloadUids) {
        boolean preferIpv6 =
                !service.vips().isEmpty() && service.vips().getFirst().address() instanceof Inet6Address;
        return pick(snapshot, service, servicePort, excludedWorkloadUids, preferIpv6);
    }

    private Optional<PickedEndpoint> pick(
            StateSnapshot snapshot,
            Service service,
            int servicePort,
            Set<String> excludedWorkloadUids,
            boolean preferIpv6) {
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
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        AtomicInteger cursor = cursors.computeIfAbsent(service.key(), k -> new AtomicInteger());
        return Optional.of(candidates.get(Math.floorMod(cursor.getAndIncrement(), candidates.size())));
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
