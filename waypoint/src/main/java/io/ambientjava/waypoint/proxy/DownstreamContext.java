package io.ambientjava.waypoint.proxy;

import io.ambientjava.identity.SpiffeId;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a downstream connection came from and which listener it is for.
 *
 * @param listenerAddress the address the client targeted: the service VIP of an HBONE CONNECT, or the bound
 *     address of a plain listener
 * @param peerIdentity the client's SPIFFE ID (from the HBONE mTLS connection)
 * @param source the original client address ({@code forwarded} of the CONNECT, or the TCP peer)
 * @param baggage the CONNECT's {@code baggage} header, which names the source workload
 */
public record DownstreamContext(
        String listenerAddress,
        int listenerPort,
        Optional<SpiffeId> peerIdentity,
        Optional<InetSocketAddress> source,
        Optional<String> baggage) {

    public DownstreamContext {
        Objects.requireNonNull(listenerAddress, "listenerAddress");
        Objects.requireNonNull(peerIdentity, "peerIdentity");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(baggage, "baggage");
    }

    /**
     * The source workload's name from baggage ({@code k8s.deployment.name} and the like), if sent; for a bare pod
     * ztunnel names only {@code k8s.pod.name}, which then is the workload.
     */
    public Optional<String> sourceWorkload() {
        return baggage.flatMap(b -> {
            Optional<String> pod = Optional.empty();
            for (String item : b.split(",")) {
                String[] kv = item.trim().split("=", 2);
                if (kv.length == 2 && kv[0].equals("k8s.pod.name")) {
                    pod = Optional.of(kv[1]);
                } else if (kv.length == 2
                        && kv[0].startsWith("k8s.")
                        && kv[0].endsWith(".name")
                        && !kv[0].equals("k8s.namespace.name")
                        && !kv[0].equals("k8s.cluster.name")) {
                    return Optional.of(kv[1]);
                }
            }
            return pod;
        });
    }
}
