package io.ambientjava.ztunnel.proxy.outbound;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.Workload;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** Where an outbound connection goes, decided from the workload state. */
public sealed interface OutboundRoute {

    /** The service the client addressed (by VIP), if it did. */
    Optional<Service> service();

    /** The workload the connection ends at, when known (not when a waypoint decides). */
    Optional<Workload> destinationWorkload();

    /** The endpoint workload to skip when this one fails and the service has others. */
    default Optional<String> retryableEndpoint() {
        return Optional.empty();
    }

    /**
     * Through an HBONE tunnel.
     *
     * @param peer the HBONE listener to dial: the destination workload's, or its waypoint's
     * @param target the CONNECT authority: the endpoint's IP and target port, or (through a waypoint) the address the
     *     client used
     * @param expectedIdentities who the peer's certificate must name
     * @param viaWaypoint whether {@code peer} is a waypoint
     * @param endpoint the endpoint workload's uid when it was picked among a service's endpoints
     */
    record Hbone(
            InetSocketAddress peer,
            InetSocketAddress target,
            Set<SpiffeId> expectedIdentities,
            boolean viaWaypoint,
            Optional<Workload> destinationWorkload,
            Optional<Service> service,
            Optional<String> endpoint)
            implements OutboundRoute {
        public Hbone {
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(target, "target");
            expectedIdentities = Set.copyOf(expectedIdentities);
            if (expectedIdentities.isEmpty()) {
                throw new IllegalArgumentException("an HBONE route needs an expected peer identity");
            }
            Objects.requireNonNull(destinationWorkload, "destinationWorkload");
            Objects.requireNonNull(service, "service");
            Objects.requireNonNull(endpoint, "endpoint");
        }

        @Override
        public Optional<String> retryableEndpoint() {
            return endpoint;
        }
    }

    /** Plain TCP to {@code target} (a workload outside HBONE, or an address outside the mesh). */
    record Passthrough(
            InetSocketAddress target,
            Optional<Workload> destinationWorkload,
            Optional<Service> service,
            Optional<String> endpoint)
            implements OutboundRoute {
        public Passthrough {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(destinationWorkload, "destinationWorkload");
            Objects.requireNonNull(service, "service");
            Objects.requireNonNull(endpoint, "endpoint");
        }

        @Override
        public Optional<String> retryableEndpoint() {
            return endpoint;
        }
    }

    /**
     * To a service endpoint known only by its DNS name (a ServiceEntry with {@code resolution: DNS}): resolved when
     * the connection is made, then routed as a workload at that address ({@link OutboundRouter#resolved}).
     *
     * @param port the endpoint's target port
     */
    record ByHostname(Workload workload, String hostname, int port, Optional<Service> service)
            implements OutboundRoute {
        public ByHostname {
            Objects.requireNonNull(workload, "workload");
            Objects.requireNonNull(hostname, "hostname");
            Objects.requireNonNull(service, "service");
        }

        @Override
        public Optional<Workload> destinationWorkload() {
            return Optional.of(workload);
        }

        @Override
        public Optional<String> retryableEndpoint() {
            return Optional.of(workload.uid());
        }
    }

    /** Nowhere: e.g. a service without a usable endpoint. */
    record Unroutable(String reason, Optional<Service> service) implements OutboundRoute {
        public Unroutable {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(service, "service");
        }

        @Override
        public Optional<Workload> destinationWorkload() {
            return Optional.empty();
        }
    }
}
