package io.ambientjava.ztunnel.telemetry;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.Workload;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What a ztunnel knows about one proxied TCP connection: the facts behind Istio's TCP metric labels and the
 * access log line.
 *
 * @param id unique per ztunnel process, to pair opened/closed events
 * @param reporter which side reports
 * @param source the client's address as the app sent it
 * @param destination where the connection was going (original destination, or the endpoint picked for a VIP)
 * @param sourceWorkload the client workload when it is known to the store
 * @param destinationWorkload the server workload when known
 * @param destinationService the service when the client addressed a VIP (or the CONNECT named one)
 * @param sourceIdentity the client's SPIFFE ID (the peer certificate inbound, the pod's identity outbound)
 * @param destinationIdentity the server's SPIFFE ID when known
 * @param securityPolicy mutual TLS for HBONE, none for plaintext and passthrough
 * @param started when the connection was accepted
 */
public record ConnectionInfo(
        long id,
        Reporter reporter,
        InetSocketAddress source,
        InetSocketAddress destination,
        Optional<Workload> sourceWorkload,
        Optional<Workload> destinationWorkload,
        Optional<Service> destinationService,
        Optional<SpiffeId> sourceIdentity,
        Optional<SpiffeId> destinationIdentity,
        SecurityPolicy securityPolicy,
        Instant started) {

    public ConnectionInfo {
        Objects.requireNonNull(reporter, "reporter");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(sourceWorkload, "sourceWorkload");
        Objects.requireNonNull(destinationWorkload, "destinationWorkload");
        Objects.requireNonNull(destinationService, "destinationService");
        Objects.requireNonNull(sourceIdentity, "sourceIdentity");
        Objects.requireNonNull(destinationIdentity, "destinationIdentity");
        Objects.requireNonNull(securityPolicy, "securityPolicy");
        Objects.requireNonNull(started, "started");
    }
}
