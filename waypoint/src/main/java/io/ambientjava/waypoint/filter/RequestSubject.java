package io.ambientjava.waypoint.filter;

import io.ambientjava.waypoint.config.RbacSubject;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A request and its connection as RBAC sees them.
 *
 * @param peerPrincipal the client's SPIFFE URI, from the HBONE mTLS connection
 * @param directRemoteIp the TCP peer, or for HBONE the original client named by the CONNECT
 * @param dynamicMetadata per filter name, what earlier filters stored (jwt_authn: the verified payload)
 */
public record RequestSubject(
        RequestView request,
        int destinationPort,
        Optional<InetAddress> destinationIp,
        Optional<String> peerPrincipal,
        Optional<InetAddress> directRemoteIp,
        Map<String, Map<String, Object>> dynamicMetadata)
        implements RbacSubject {

    public RequestSubject(
            RequestView request,
            int destinationPort,
            Optional<InetAddress> destinationIp,
            Optional<String> peerPrincipal,
            Optional<InetAddress> directRemoteIp) {
        this(request, destinationPort, destinationIp, peerPrincipal, directRemoteIp, Map.of());
    }

    public RequestSubject {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(destinationIp, "destinationIp");
        Objects.requireNonNull(peerPrincipal, "peerPrincipal");
        Objects.requireNonNull(directRemoteIp, "directRemoteIp");
        dynamicMetadata = Map.copyOf(dynamicMetadata);
    }

    @Override
    public Optional<Object> metadata(String filter, List<String> path) {
        Object current = dynamicMetadata.get(filter);
        for (String key : path) {
            if (!(current instanceof Map<?, ?> map)) {
                return Optional.empty();
            }
            current = map.get(key);
        }
        return Optional.ofNullable(current);
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
