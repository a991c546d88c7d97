package io.ambientjava.waypoint.config;

import io.netty.handler.ssl.SslContext;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A listener's TLS termination across its filter chains: the certificate is chosen by the server name the client
 * sends (SNI) among the chains' {@code filter_chain_match.server_names}, as Envoy chooses: an exact name first, then
 * the longest {@code *.suffix} wildcard; a client naming none of them (or no name at all) gets the chain without
 * server names, and with no such chain its connection is closed.
 *
 * @param named chains with server names, in listener order
 * @param fallback the chain without server names
 */
public record ListenerTls(List<Named> named, Optional<DownstreamTls> fallback) {

    /** A filter chain's server names (lower case: exact, or {@code *.suffix}) and its certificate. */
    public record Named(List<String> serverNames, DownstreamTls tls) {
        public Named {
            serverNames =
                    serverNames.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
            Objects.requireNonNull(tls, "tls");
        }
    }

    public ListenerTls {
        named = List.copyOf(named);
        Objects.requireNonNull(fallback, "fallback");
    }

    /** One certificate for every client: a single chain without server names. */
    public static ListenerTls only(DownstreamTls tls) {
        return new ListenerTls(List.of(), Optional.of(tls));
    }

    /** Whether the certificate depends on the client's server name. */
    public boolean bySni() {
        return !named.isEmpty();
    }

    /** The certificate for a client hello naming {@code serverName} (null: none). */
    public Optional<DownstreamTls> forServerName(String serverName) {
        return ServerNames.pick(named, Named::serverNames, serverName)
                .map(Named::tls)
                .or(() -> fallback);
    }

    /**
     * For Netty's {@code SniHandler}: the context for {@code serverName}; a name no chain takes fails the handshake,
     * which closes the connection.
     */
    public SslContext sslContextFor(String serverName) {
        return forServerName(serverName)
                .map(DownstreamTls::sslContext)
                .orElseThrow(() -> new IllegalArgumentException("no filter chain serves the server name "
                        + (serverName == null ? "(none sent)" : "'" + serverName + "'")));
    }

    /** The certificates' subjects, named chains first, for the config dump and errors. */
    public List<String> subjects() {
        var all = new java.util.ArrayList<String>();
        named.forEach(n -> all.add(n.tls().subject()));
        fallback.ifPresent(f -> all.add(f.subject()));
        return List.copyOf(all);
    }
}
