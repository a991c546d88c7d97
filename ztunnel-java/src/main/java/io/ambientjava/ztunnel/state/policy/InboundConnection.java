package io.ambientjava.ztunnel.state.policy;

import io.ambientjava.ztunnel.state.Workload;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * What L4 authorization knows about an inbound connection.
 *
 * @param sourceIdentity the peer's verified identity; empty for plaintext
 * @param destinationWorkload the workload being connected to: decides which policies apply
 */
public record InboundConnection(
        Optional<SourceIdentity> sourceIdentity,
        InetAddress sourceIp,
        Workload destinationWorkload,
        InetAddress destinationIp,
        int destinationPort) {

    public InboundConnection {
        Objects.requireNonNull(sourceIdentity, "sourceIdentity");
        Objects.requireNonNull(sourceIp, "sourceIp");
        Objects.requireNonNull(destinationWorkload, "destinationWorkload");
        Objects.requireNonNull(destinationIp, "destinationIp");
        if (destinationPort < 0 || destinationPort > 65535) {
            throw new IllegalArgumentException("destination port " + destinationPort + " is not in 0..65535");
        }
    }

    @Override
    public String toString() {
        return sourceIp.getHostAddress()
                + "(" + sourceIdentity.map(Object::toString).orElse("plaintext") + ") -> "
                + destinationIp.getHostAddress() + ":" + destinationPort + " [" + destinationWorkload.uid() + "]";
    }
}
