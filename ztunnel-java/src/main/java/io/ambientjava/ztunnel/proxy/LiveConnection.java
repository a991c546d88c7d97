package io.ambientjava.ztunnel.proxy;

import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import java.util.Objects;

/**
 * An open proxied connection right now, for admin pages.
 *
 * @param info what is known about it
 * @param podUid the enrolled pod it belongs to (the client pod outbound, the server pod inbound)
 * @param sentBytes bytes sent towards the server so far
 * @param receivedBytes bytes received from the server so far
 */
public record LiveConnection(ConnectionInfo info, String podUid, long sentBytes, long receivedBytes) {

    public LiveConnection {
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(podUid, "podUid");
    }
}
