package io.ambientjava.ztunnel.proxy.outbound;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.ztunnel.proxy.LocalPod;
import io.ambientjava.ztunnel.state.Endpoint;
import io.ambientjava.ztunnel.state.GatewayAddress;
import io.ambientjava.ztunnel.state.HealthStatus;
import io.ambientjava.ztunnel.state.LoadBalancing;
import io.ambientjava.ztunnel.state.NetworkAddress;
import io.ambientjava.ztunnel.state.Protocol;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.state.lb.PickedEndpoint;
import io.ambientjava.ztunnel.state.lb.RoundRobinPicker;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Decides where an outbound connection goes, from one state snapshot. Pure apart from the round-robin cursor.
 *
 * <ol>
 *   <li>The original destination is a service VIP serving that port: through the service's waypoint if it has one
 *       (CONNECT to the VIP), else to an endpoint picked round robin (one known only by its DNS name is resolved by
 *       the caller first, {@link OutboundRoute.ByHostname}).
 *   <li>It is a workload's address: through the workload's waypoint if it has one, else to the workload.
 *   <li>Anything else is outside the mesh: plain TCP to it.
 * </ol>
 *
 * A workload speaking HBONE is reached through an HBONE tunnel to its port 15008 with its SPIFFE ID expected; one
 * speaking plain TCP gets plain TCP.
 */
public final class OutboundRouter {

    private final RoundRobinPicker picker;
    private final int defaultHbonePort;
    private final String defaultTrustDomain;

    public OutboundRouter(RoundRobinPicker picker, int defaultHbonePort, String defaultTrustDomain) {
        this.picker = Objects.requireNonNull(picker, "picker");
        this.defaultHbonePort = defaultHbonePort;
        this.defaultTrustDomain = Objects.requireNonNull(defaultTrustDomain, "defaultTrustDomain");
    }

    /**
     * @param source the client pod's workload (its network scopes the lookups)
     * @param destination the original destination the client connected to
     * @param excludedEndpoints endpoint workload uids that already failed this connection
     */
    public OutboundRoute route(
            StateSnapshot snapshot, Workload source, InetSocketAddress destination, Set<String> excludedEndpoints) {
        NetworkAddress address = new NetworkAddress(source.network(), destination.getAddress());
        Optional<Service> service = snapshot.serviceAt(address, destination.getPort());
        if (service.isPresent()) {
            return toService(snapshot, source, service.get(), destination, excludedEndpoints);
        }
        Optional<Workload> workload = snapshot.workloadAt(address);
        if (workload.isPresent()) {
            Workload target = workload.get();
            if (target.waypoint().isPresent() && !target.uid().equals(source.uid())) {
                return viaWaypoint(
                        snapshot, target.waypoint().get(), source, destination, Optional.of(target), Optional.empty());
            }
            return toWorkload(target, destination.getAddress(), destination.getPort(), Optional.empty(), false);
        }
        return new OutboundRoute.Passthrough(destination, Optional.empty(), Optional.empty(), Optional.empty());
    }

    private OutboundRoute toService(
            StateSnapshot snapshot,
            Workload source,
            Service service,
            InetSocketAddress destination,
            Set<String> excludedEndpoints) {
        if (service.waypoint().isPresent()) {
            return viaWaypoint(
                    snapshot, service.waypoint().get(), source, destination, Optional.empty(), Optional.of(service));
        }
        if (service.loadBalancing()
                .map(lb -> lb.mode() == LoadBalancing.Mode.PASSTHROUGH)
                .orElse(false)) {
            // a ServiceEntry with resolution NONE: the call goes to the address it was made to, as the service's
            Optional<Workload> there =
                    snapshot.workloadAt(new NetworkAddress(source.network(), destination.getAddress()));
            return there.isPresent()
                    ? toWorkload(
                            there.get(), destination.getAddress(), destination.getPort(), Optional.of(service), false)
                    : new OutboundRoute.Passthrough(
                            destination, Optional.empty(), Optional.of(service), Optional.empty());
        }
        Optional<PickedEndpoint> picked =
                picker.pick(snapshot, service, destination.getPort(), excludedEndpoints, Optional.of(source));
        if (picked.isEmpty()) {
            return new OutboundRoute.Unroutable(
                    (excludedEndpoints.isEmpty() ? "no usable endpoint" : "no further usable endpoint")
                            + " for service " + service.key() + " port " + destination.getPort(),
                    Optional.of(service));
        }
        PickedEndpoint endpoint = picked.get();
        if (endpoint.address().isEmpty()) {
            Workload workload = endpoint.workload();
            if (!workload.hostname().isEmpty()) {
                return new OutboundRoute.ByHostname(
                        workload, workload.hostname(), endpoint.targetPort(), Optional.of(service));
            }
            return new OutboundRoute.Unroutable(
                    "endpoint " + workload.uid() + " of " + service.key()
                            + " has no address (network gateway endpoints are not supported)",
                    Optional.of(service));
        }
        return toWorkload(
                endpoint.workload(), endpoint.address().get(), endpoint.targetPort(), Optional.of(service), true);
    }

    /** Where {@code route} goes now that its name resolved to {@code ip}. */
    public OutboundRoute resolved(OutboundRoute.ByHostname route, InetAddress ip) {
        return toWorkload(route.workload(), ip, route.port(), route.service(), true);
    }

    private OutboundRoute toWorkload(
            Workload workload, InetAddress ip, int port, Optional<Service> service, boolean picked) {
        InetSocketAddress target = new InetSocketAddress(ip, port);
        Optional<String> endpoint = picked ? Optional.of(workload.uid()) : Optional.empty();
        if (workload.protocol() != Protocol.HBONE) {
            return new OutboundRoute.Passthrough(target, Optional.of(workload), service, endpoint);
        }
        Set<SpiffeId> expected = new LinkedHashSet<>();
        try {
            expected.add(LocalPod.identityOf(workload, defaultTrustDomain));
        } catch (IllegalArgumentException e) {
            return new OutboundRoute.Unroutable(
                    "workload " + workload.uid() + " has no valid identity: " + e.getMessage(), service);
        }
        service.ifPresent(
                s -> s.subjectAltNames().forEach(san -> parseSpiffe(san).ifPresent(expected::add)));
        return new OutboundRoute.Hbone(
                new InetSocketAddress(ip, defaultHbonePort),
                target,
                expected,
                false,
                Optional.of(workload),
                service,
                endpoint);
    }

    private OutboundRoute viaWaypoint(
            StateSnapshot snapshot,
            GatewayAddress gateway,
            Workload source,
            InetSocketAddress destination,
            Optional<Workload> destinationWorkload,
            Optional<Service> service) {
        Optional<Workload> waypoint = waypointWorkload(snapshot, gateway, source.network());
        if (waypoint.isEmpty()) {
            return new OutboundRoute.Unroutable(
                    "waypoint " + gateway.destination() + " has no usable workload", service);
        }
        Workload chosen = waypoint.get();
        if (chosen.uid().equals(source.uid())) {
            // The waypoint itself sends on to the destination: no second hop through itself.
            return destinationWorkload
                    .map(w -> toWorkload(w, destination.getAddress(), destination.getPort(), service, false))
                    .orElseGet(() -> new OutboundRoute.Unroutable(
                            "the waypoint cannot reach service "
                                    + service.map(Service::key).orElse(null) + " through itself",
                            service));
        }
        Optional<InetAddress> ip = chosen.addresses().stream().findFirst();
        if (ip.isEmpty()) {
            return new OutboundRoute.Unroutable("waypoint workload " + chosen.uid() + " has no address", service);
        }
        SpiffeId identity;
        try {
            identity = LocalPod.identityOf(chosen, defaultTrustDomain);
        } catch (IllegalArgumentException e) {
            return new OutboundRoute.Unroutable(
                    "waypoint workload " + chosen.uid() + " has no valid identity: " + e.getMessage(), service);
        }
        int port = gateway.hboneMtlsPort() > 0 ? gateway.hboneMtlsPort() : defaultHbonePort;
        return new OutboundRoute.Hbone(
                new InetSocketAddress(ip.get(), port),
                destination,
                Set.of(identity),
                true,
                destinationWorkload,
                service,
                Optional.empty());
    }

    private Optional<Workload> waypointWorkload(StateSnapshot snapshot, GatewayAddress gateway, String network) {
        return switch (gateway.destination()) {
            case GatewayAddress.Destination.Address(NetworkAddress address) ->
                snapshot.workloadAt(address)
                        .or(() -> snapshot.serviceAt(address)
                                .flatMap(s -> anyEndpoint(snapshot, s, gateway.hboneMtlsPort())));
            case GatewayAddress.Destination.Hostname(var hostname) ->
                snapshot.service(hostname).flatMap(s -> anyEndpoint(snapshot, s, gateway.hboneMtlsPort()));
        };
    }

    /** A waypoint service's endpoint, round robin when it lists the HBONE port, else its first healthy one. */
    private Optional<Workload> anyEndpoint(StateSnapshot snapshot, Service service, int port) {
        Optional<Workload> picked = picker.pick(snapshot, service, port > 0 ? port : defaultHbonePort, Set.of())
                .map(PickedEndpoint::workload);
        if (picked.isPresent()) {
            return picked;
        }
        return snapshot.endpoints(service.key()).stream()
                .map(Endpoint::workload)
                .filter(w ->
                        w.status() == HealthStatus.HEALTHY && !w.addresses().isEmpty())
                .findFirst();
    }

    private static Optional<SpiffeId> parseSpiffe(String san) {
        try {
            return Optional.of(SpiffeId.parse(san));
        } catch (IllegalArgumentException notSpiffe) {
            return Optional.empty();
        }
    }
}
