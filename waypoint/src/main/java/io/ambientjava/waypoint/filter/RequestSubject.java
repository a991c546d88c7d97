package io.ambientjava.waypoint.filter;

import io.ambientjava.waypoint.config.RbacSubject;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * A request and its connection as RBAC sees them.
 *
 * @param peerPrincipal the client's SPIFFE URI, from the HBONE mTLS connection
 * @param directRemoteIp the TCP peer, or for HBONE the original client named by the CONNECT
 */
public record RequestSubject(
        RequestView request,
        int destinationPort,
        Optional<InetAddress> destinationIp,
        Optional<String> peerPrincipal,
        Optional<InetAddress> directRemoteIp)
        implements RbacSubject {

    public RequestSubject {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(destinationIp, "destinationIp");
        Objects.requireNonNull(peerPrincipal, "peerPrincipal");
        Objects.requireNonNull(directRemoteIp, "directRemoteIp");
    }

    @Override
    public Optional<String> header(String name) {
        return request.header(name);
    }

    @Override
    public String path() {
        return request.path();
    }

    /** HBONE carries the request in plaintext inside the tunnel: there is no SNI to see. */
    @Override
    public String requestedServerName() {
        return "";
    }

    /**
     * As Envoy with {@code use_remote_address: false} and no trusted hops: the last {@code x-forwarded-for} entry,
     * else the direct peer.
     */
    @Override
    public Optional<InetAddress> remoteIp() {
        Optional<String> xff = request.header("x-forwarded-for");
        if (xff.isPresent()) {
            String[] entries = xff.get().split(",");
            String last = entries[entries.length - 1].trim();
            try {
                return Optional.of(InetAddress.ofLiteral(last));
            } catch (IllegalArgumentException notAnAddress) {
                return directRemoteIp;
            }
        }
        return directRemoteIp;
    }
}
