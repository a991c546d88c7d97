package io.ambientjava.ztunnel.proxy;

import java.util.Objects;
import java.util.Optional;

/**
 * What a finished {@link TcpRelay} carried.
 *
 * @param clientToServer bytes read from the client and written to the server
 * @param serverToClient bytes read from the server and written to the client
 * @param error why it was reset, empty when both sides finished with FIN
 */
public record RelayResult(long clientToServer, long serverToClient, Optional<String> error) {

    public RelayResult {
        Objects.requireNonNull(error, "error");
    }
}
