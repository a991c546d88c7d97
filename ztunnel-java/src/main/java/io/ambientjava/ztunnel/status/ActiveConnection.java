package io.ambientjava.ztunnel.status;

import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import java.util.Objects;

/**
 * A proxied connection open right now.
 *
 * @param podUid the enrolled pod it belongs to (the client pod outbound, the server pod inbound)
 * @param sentBytes bytes towards the server so far
 * @param receivedBytes bytes back from the server so far
 */
public record ActiveConnection(ConnectionInfo info, String podUid, long sentBytes, long receivedBytes) {

    public ActiveConnection {
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(podUid, "podUid");
    }
}
