package io.ambientjava.hbone.client;

import io.ambientjava.identity.SpiffeId;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.Set;

/**
 * Which requests may share an HBONE connection: same source identity, same acceptable peer identities, same
 * peer address, same way of dialing (source address / network namespace).
 */
public record PoolKey(
        Optional<SpiffeId> source, Set<SpiffeId> expectedPeerIdentities, InetSocketAddress peer, HboneDialer dialer) {

    public PoolKey {
        expectedPeerIdentities = Set.copyOf(expectedPeerIdentities);
    }

    static PoolKey of(ConnectRequest request) {
        return new PoolKey(
                request.security().identity(), request.expectedPeerIdentities(), request.peer(), request.dialer());
    }
}
