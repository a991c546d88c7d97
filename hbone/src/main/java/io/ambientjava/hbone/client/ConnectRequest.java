package io.ambientjava.hbone.client;

import io.ambientjava.hbone.HboneHeaders;
import io.ambientjava.hbone.authority.HboneAuthority;
import io.ambientjava.identity.SpiffeId;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One HBONE CONNECT to open.
 *
 * @param security the source identity and its TLS context
 * @param expectedPeerIdentities identities the peer's certificate may carry (the destination workload's, or its
 *     waypoint's); must not be empty with mutual TLS
 * @param peer the HBONE endpoint to connect to, normally {@code <destination ip>:15008}
 * @param authority the {@code :authority} of the CONNECT: where the peer should connect to
 * @param headers extra request headers, lower-case names, in order ({@code forwarded}, {@code baggage}, ...)
 * @param dialer how the TCP connection to {@code peer} is opened (part of the pool key)
 */
public record ConnectRequest(
        ClientSecurity security,
        Set<SpiffeId> expectedPeerIdentities,
        InetSocketAddress peer,
        HboneAuthority authority,
        Map<String, String> headers,
        HboneDialer dialer) {

    private static final Set<String> CONNECTION_SPECIFIC =
            Set.of("connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "host");

    public ConnectRequest {
        Objects.requireNonNull(security, "security");
        expectedPeerIdentities = Set.copyOf(expectedPeerIdentities);
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(authority, "authority");
        Objects.requireNonNull(dialer, "dialer");
        if (peer.isUnresolved()) {
            throw new IllegalArgumentException("peer address " + peer + " is unresolved; an IP is required");
        }
        if (security instanceof ClientSecurity.MutualTls && expectedPeerIdentities.isEmpty()) {
            throw new IllegalArgumentException(
                    "no expected peer identity for " + peer + ": mutual TLS needs at least one to verify against");
        }
        var copy = new LinkedHashMap<String, String>();
        headers.forEach((name, value) -> {
            validateHeader(name, value);
            copy.put(name, value);
        });
        headers = Collections.unmodifiableMap(copy);
    }

    public static ConnectRequest of(
            ClientSecurity security,
            Set<SpiffeId> expectedPeerIdentities,
            InetSocketAddress peer,
            HboneAuthority authority) {
        return new ConnectRequest(security, expectedPeerIdentities, peer, authority, Map.of(), HboneDialer.direct());
    }

    /** This request with one more header (replacing one of the same name). */
    public ConnectRequest withHeader(String name, String value) {
        var more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new ConnectRequest(security, expectedPeerIdentities, peer, authority, more, dialer);
    }

    /** Adds {@code forwarded: for="<source ip:port>"}, the original client's address. */
    public ConnectRequest withForwardedFor(InetSocketAddress source) {
        return withHeader(HboneHeaders.FORWARDED.toString(), HboneHeaders.forwardedFor(source));
    }

    public ConnectRequest withDialer(HboneDialer newDialer) {
        return new ConnectRequest(security, expectedPeerIdentities, peer, authority, headers, newDialer);
    }

    private static void validateHeader(String name, String value) {
        Objects.requireNonNull(name, "header name");
        Objects.requireNonNull(value, "value of header " + name);
        if (name.isEmpty() || name.startsWith(":")) {
            throw new IllegalArgumentException("header name '" + name + "' is empty or a pseudo-header");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 0x7f || Character.isUpperCase(c) || c == ':') {
                throw new IllegalArgumentException(
                        "header name '" + name + "' must be lower-case visible ASCII without ':' (HTTP/2)");
            }
        }
        if (CONNECTION_SPECIFIC.contains(name)) {
            throw new IllegalArgumentException("header '" + name + "' is connection-specific, not allowed in HTTP/2");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                throw new IllegalArgumentException("value of header '" + name + "' contains CR, LF or NUL");
            }
        }
    }
}
