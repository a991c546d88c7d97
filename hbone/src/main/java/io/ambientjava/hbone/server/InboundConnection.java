package io.ambientjava.hbone.server;

import io.ambientjava.identity.SpiffeId;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * One accepted HBONE connection, after its TLS handshake.
 *
 * @param peerIdentity the client's SPIFFE ID from its certificate (empty only in plaintext mode)
 * @param remoteAddress the client's address (the peer ztunnel or waypoint)
 * @param localAddress our address it connected to
 */
public record InboundConnection(
        Optional<SpiffeId> peerIdentity, SocketAddress remoteAddress, SocketAddress localAddress) {

    public InboundConnection {
        Objects.requireNonNull(peerIdentity, "peerIdentity");
    }

    @Override
    public String toString() {
        return remoteAddress + peerIdentity.map(id -> " (" + id + ")").orElse(" (no identity)");
    }
}
