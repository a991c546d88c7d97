package io.ambientjava.waypoint.config;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/** What RBAC permissions and principals look at: the request and its connection. */
public interface RbacSubject {

    /** A header or pseudo-header ({@code :method}, {@code :authority}, ...), several values joined with ",". */
    Optional<String> header(String name);

    /** The path without query string. */
    String path();

    int destinationPort();

    Optional<InetAddress> destinationIp();

    /** TLS SNI of the downstream connection; empty string when there is none. */
    String requestedServerName();

    /** The client's SPIFFE URI from its mTLS certificate; empty for a plaintext client. */
    Optional<String> peerPrincipal();

    /** The TCP peer (for HBONE: the original client from the CONNECT). */
    Optional<InetAddress> directRemoteIp();

    /** The client as {@code x-forwarded-for} names it (its last entry), else the direct peer. */
    Optional<InetAddress> remoteIp();

    /**
     * A value in the request's dynamic metadata: {@code filter}'s struct, then the keys of {@code path} (the JWT
     * payload is under {@code envoy.filters.http.jwt_authn}, {@code payload}).
     */
    Optional<Object> metadata(String filter, List<String> path);
}
