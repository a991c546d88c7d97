package io.ambientjava.waypoint.config;

import java.util.Objects;
import java.util.Optional;

/**
 * TCP keepalive on a cluster's upstream sockets ({@code upstream_connection_options.tcp_keepalive}): SO_KEEPALIVE
 * on, and the kernel's defaults for what is empty.
 *
 * @param probes unanswered probes before the connection is dropped
 * @param idleSeconds quiet seconds before the first probe
 * @param intervalSeconds seconds between probes
 */
public record TcpKeepalive(Optional<Integer> probes, Optional<Integer> idleSeconds, Optional<Integer> intervalSeconds) {

    public TcpKeepalive {
        Objects.requireNonNull(probes, "probes");
        Objects.requireNonNull(idleSeconds, "idleSeconds");
        Objects.requireNonNull(intervalSeconds, "intervalSeconds");
    }
}
