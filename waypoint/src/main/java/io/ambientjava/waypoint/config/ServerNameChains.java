package io.ambientjava.waypoint.config;

import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A listener's filter chains picked by the client's server name ({@code filter_chain_match.server_names}): several
 * TLS certificates on one port ({@link ListenerTls}), or TLS passthrough to a TCP proxy per name behind the
 * {@code tls_inspector} ({@link ListenerConfig.TlsPassthrough}). Chains may differ in nothing else.
 */
final class ServerNameChains {

    private ServerNameChains() {}

    /**
     * The chains' TLS. Several chains are for several certificates on one port (ingress HTTPS with more than one
     * credential): each terminates TLS, they differ only in {@code filter_chain_match.server_names} and the
     * certificate, and at most one has no server names.
     */
    static Optional<ListenerTls> tls(Listener l, String path) {
        FilterChain first = l.getFilterChains(0);
        List<ListenerTls.Named> named = new ArrayList<>();
        Optional<DownstreamTls> fallback = Optional.empty();
        Set<String> seenNames = new java.util.HashSet<>();
        for (int i = 0; i < l.getFilterChainsCount(); i++) {
            FilterChain chain = l.getFilterChains(i);
            String cpath = path + ".filter_chains[" + i + "]";
            FieldGuard.onlyFields(chain, cpath, Set.of("filters", "name", "transport_socket", "filter_chain_match"));
            List<String> serverNames = List.of();
            if (chain.hasFilterChainMatch()) {
                FieldGuard.onlyFields(
                        chain.getFilterChainMatch(), cpath + ".filter_chain_match", Set.of("server_names"));
                serverNames = chain.getFilterChainMatch().getServerNamesList();
            }
            if (!chain.hasTransportSocket()) {
                if (l.getFilterChainsCount() > 1 || !serverNames.isEmpty()) {
                    throw FieldGuard.invalid(
                            cpath + ".transport_socket",
                            "chains chosen by server name must terminate TLS (several chains are for several"
                                    + " certificates on one port)");
                }
                return Optional.empty();
            }
            if (i > 0 && !chain.getFiltersList().equals(first.getFiltersList())) {
                throw FieldGuard.invalid(
                        cpath + ".filters",
                        "must be the same as filter_chains[0].filters: chains may differ only in server_names and"
                                + " the certificate");
            }
            DownstreamTls certificate =
                    DownstreamTlsTranslator.translate(chain.getTransportSocket(), cpath + ".transport_socket");
            if (serverNames.isEmpty()) {
                if (fallback.isPresent()) {
                    throw FieldGuard.invalid(
                            cpath + ".filter_chain_match", "a second chain without server_names matches the same");
                }
                fallback = Optional.of(certificate);
                continue;
            }
            uniqueNames(serverNames, seenNames, cpath + ".filter_chain_match.server_names");
            named.add(new ListenerTls.Named(serverNames, certificate));
        }
        return Optional.of(new ListenerTls(named, fallback));
    }

    /** Whether the listener reads the client hello's SNI; only {@code tls_inspector} may be a listener filter. */
    static boolean tlsInspector(Listener l, String path) {
        for (int i = 0; i < l.getListenerFiltersCount(); i++) {
            var f = l.getListenerFilters(i);
            String fpath = path + ".listener_filters[" + i + "]";
            FieldGuard.onlyFields(f, fpath, Set.of("name", "typed_config"));
            if (!f.getName().equals(ListenerTranslator.TLS_INSPECTOR)) {
                throw FieldGuard.invalid(fpath + ".name", "only " + ListenerTranslator.TLS_INSPECTOR + " is supported");
            }
            if (f.hasTypedConfig()) {
                FieldGuard.onlyFields(
                        ListenerTranslator.unpack(
                                f.getTypedConfig(),
                                io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector.class,
                                fpath),
                        fpath + ".typed_config",
                        Set.of());
            }
        }
        return l.getListenerFiltersCount() > 0;
    }

    /** Chains picked by server name that do not terminate TLS and only proxy TCP: TLS passthrough. */
    static boolean passesTlsThrough(Listener l) {
        boolean byName = l.getFilterChainsCount() > 1 || l.getFilterChains(0).hasFilterChainMatch();
        return byName
                && l.getFilterChainsList().stream()
                        .allMatch(c -> !c.hasTransportSocket()
                                && c.getFiltersCount() == 1
                                && c.getFilters(0).getName().equals(ListenerTranslator.TCP_PROXY));
    }

    static ListenerConfig.TlsPassthrough passthrough(Listener l, String path) {
        List<ListenerConfig.TlsPassthrough.Named> named = new ArrayList<>();
        Optional<ListenerConfig.Tcp> fallback = Optional.empty();
        Set<String> seenNames = new java.util.HashSet<>();
        for (int i = 0; i < l.getFilterChainsCount(); i++) {
            FilterChain chain = l.getFilterChains(i);
            String cpath = path + ".filter_chains[" + i + "]";
            FieldGuard.onlyFields(chain, cpath, Set.of("filters", "name", "filter_chain_match"));
            String fpath = cpath + ".filters[0]";
            FieldGuard.onlyFields(chain.getFilters(0), fpath, Set.of("name", "typed_config"));
            ListenerConfig.Tcp tcp = ListenerTranslator.tcp(
                    ListenerTranslator.unpack(chain.getFilters(0).getTypedConfig(), TcpProxy.class, fpath), fpath);
            List<String> names = List.of();
            if (chain.hasFilterChainMatch()) {
                FieldGuard.onlyFields(
                        chain.getFilterChainMatch(), cpath + ".filter_chain_match", Set.of("server_names"));
                names = uniqueNames(
                        chain.getFilterChainMatch().getServerNamesList(),
                        seenNames,
                        cpath + ".filter_chain_match.server_names");
            }
            if (names.isEmpty()) {
                if (fallback.isPresent()) {
                    throw FieldGuard.invalid(
                            cpath + ".filter_chain_match", "a second chain without server_names matches the same");
                }
                fallback = Optional.of(tcp);
            } else {
                named.add(new ListenerConfig.TlsPassthrough.Named(names, tcp));
            }
        }
        return new ListenerConfig.TlsPassthrough(named, fallback);
    }

    /** Checks {@code names} and that no earlier chain ({@code seen}) has one of them. */
    private static List<String> uniqueNames(List<String> names, Set<String> seen, String path) {
        List<String> checked = ServerNames.checked(names, path);
        for (String name : checked) {
            if (!seen.add(name)) {
                throw FieldGuard.invalid(path, "'" + name + "' is in an earlier chain too");
            }
        }
        return checked;
    }
}
