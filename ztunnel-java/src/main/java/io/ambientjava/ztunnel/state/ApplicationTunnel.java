package io.ambientjava.ztunnel.state;

import java.util.Objects;

/**
 * The workload itself terminates a tunnel protocol (e.g. a waypoint accepting PROXY protocol on a port), so
 * ztunnel forwards to it with that protocol instead of plain TCP. Port 0 means the original port.
 */
public record ApplicationTunnel(Kind kind, int port) {

    public enum Kind {
        NONE,
        PROXY
    }

    public ApplicationTunnel {
        Objects.requireNonNull(kind, "kind");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("application tunnel port " + port + " is not in 0..65535");
        }
    }
}
