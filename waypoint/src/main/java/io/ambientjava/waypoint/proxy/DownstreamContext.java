package io.ambientjava.waypoint.proxy;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.waypoint.config.EndpointConfig;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a downstream connection came from and which listener it is for. The strings every request's record and
 * policy need (the client's principal and address, the source workload) are made once per connection here, not
 * once per request.
 */
public final class DownstreamContext {

    private final String listenerAddress;
    private final int listenerPort;
    private final Optional<SpiffeId> peerIdentity;
    private final Optional<InetSocketAddress> source;
    private final Optional<String> peerPrincipal;
    private final Optional<String> sourceAddress;
    private final Optional<String> sourceWorkload;
    private final boolean tlsTerminated;
    private final Optional<EndpointConfig> originalDestination;

    /**
     * @param listenerAddress the address the client targeted: the service VIP of an HBONE CONNECT, or the bound
     *     address of a plain listener
     * @param peerIdentity the client's SPIFFE ID (from the HBONE mTLS connection)
     * @param source the original client address ({@code forwarded} of the CONNECT, or the TCP peer)
     * @param baggage the CONNECT's {@code baggage} header, which names the source workload
     */
    public DownstreamContext(
            String listenerAddress,
            int listenerPort,
            Optional<SpiffeId> peerIdentity,
            Optional<InetSocketAddress> source,
            Optional<String> baggage) {
        this(listenerAddress, listenerPort, peerIdentity, source, baggage, false);
    }

    /** @param tlsTerminated the waypoint terminates the client's TLS (an HTTPS ingress listener) */
    public DownstreamContext(
            String listenerAddress,
            int listenerPort,
            Optional<SpiffeId> peerIdentity,
            Optional<InetSocketAddress> source,
            Optional<String> baggage,
            boolean tlsTerminated) {
        this(listenerAddress, listenerPort, peerIdentity, source, baggage, tlsTerminated, Optional.empty());
    }

    /**
     * @param originalDestination the pod a workload-addressed CONNECT named, with the mesh facts of its filter
     *     chain: the one host of an {@code ORIGINAL_DST} cluster
     */
    public DownstreamContext(
            String listenerAddress,
            int listenerPort,
            Optional<SpiffeId> peerIdentity,
            Optional<InetSocketAddress> source,
            Optional<String> baggage,
            boolean tlsTerminated,
            Optional<EndpointConfig> originalDestination) {
        this.listenerAddress = Objects.requireNonNull(listenerAddress, "listenerAddress");
        this.listenerPort = listenerPort;
        this.peerIdentity = Objects.requireNonNull(peerIdentity, "peerIdentity");
        this.source = Objects.requireNonNull(source, "source");
        this.peerPrincipal = peerIdentity.map(SpiffeId::toString);
        this.sourceAddress = source.map(s -> s.getAddress().getHostAddress() + ":" + s.getPort());
        this.sourceWorkload = Objects.requireNonNull(baggage, "baggage").flatMap(DownstreamContext::workloadIn);
        this.tlsTerminated = tlsTerminated;
        this.originalDestination = Objects.requireNonNull(originalDestination, "originalDestination");
    }

    /** Where the client connected when that is a pod's own address the waypoint serves; empty for a service VIP. */
    public Optional<EndpointConfig> originalDestination() {
        return originalDestination;
    }

    /**
     * Whether the waypoint terminates the client's TLS. Its HTTP version was then picked by ALPN (browsers take h2
     * wherever it is offered), not by a client that knows what the backend speaks.
     */
    public boolean tlsTerminated() {
        return tlsTerminated;
    }

    public String listenerAddress() {
        return listenerAddress;
    }

    public int listenerPort() {
        return listenerPort;
    }

    public Optional<SpiffeId> peerIdentity() {
        return peerIdentity;
    }

    /** The client's SPIFFE ID as a string ({@code spiffe://td/ns/<ns>/sa/<sa>}), when it presented one. */
    public Optional<String> peerPrincipal() {
        return peerPrincipal;
    }

    public Optional<InetSocketAddress> source() {
        return source;
    }

    /** The original client address as {@code ip:port}. */
    public Optional<String> sourceAddress() {
        return sourceAddress;
    }

    /**
     * The source workload's name from baggage ({@code k8s.deployment.name} and the like), if sent; for a bare pod
     * ztunnel names only {@code k8s.pod.name}, which then is the workload.
     */
    public Optional<String> sourceWorkload() {
        return sourceWorkload;
    }

    private static Optional<String> workloadIn(String baggage) {
        Optional<String> pod = Optional.empty();
        for (String item : baggage.split(",")) {
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
    }

    @Override
    public String toString() {
        return "DownstreamContext[" + listenerAddress + ":" + listenerPort + " from " + sourceAddress.orElse("?")
                + " as " + peerPrincipal.orElse("no identity") + "]";
    }
}
