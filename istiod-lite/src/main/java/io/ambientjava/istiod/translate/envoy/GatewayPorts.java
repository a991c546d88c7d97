package io.ambientjava.istiod.translate.envoy;

import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * What each port of an ingress gateway serves: plain HTTP, or HTTPS with one certificate per server (Istio
 * Gateway) or listener (Gateway API), chosen by the client's SNI among the server's hosts. A server whose hosts
 * include {@code *} (or a listener without a hostname) gives the port's default certificate. Servers of one
 * credential share a filter chain. Another that wants the port otherwise (HTTP beside HTTPS, a second default
 * certificate, a host another certificate already serves) is reported and skipped.
 */
final class GatewayPorts {

    /** An HTTPS filter chain: its certificate and the server names it answers (none: the default chain). */
    private record Chain(GatewayCredential credential, Set<String> serverNames) {}

    /** A port's use: {@code chains} empty for plain HTTP, TLS passthrough and TCP. */
    private record Use(boolean https, boolean passthrough, boolean tcp, List<Chain> chains) {
        String what() {
            return tcp ? "TCP" : passthrough ? "TLS passthrough" : https ? "HTTPS" : "plain HTTP";
        }
    }

    private final Map<Integer, Use> byPort = new TreeMap<>();

    /**
     * Takes {@code port} for plain HTTP ({@code tls} empty) or HTTPS with {@code tls} for {@code hosts} (server
     * hosts, {@code ns/} prefixes allowed); false, with a warning about {@code what}, when the port cannot also
     * serve this.
     */
    boolean claim(int port, Optional<GatewayCredential> tls, List<String> hosts, String what, Consumer<String> warn) {
        Use use = byPort.get(port);
        if (use == null) {
            use = new Use(tls.isPresent(), false, false, new ArrayList<>());
            byPort.put(port, use);
        } else if (use.passthrough() || use.tcp() || use.https() != tls.isPresent()) {
            warn.accept(what + " is skipped: port " + port + " already serves " + use.what()
                    + " (one port cannot serve both)");
            return false;
        }
        if (tls.isEmpty()) {
            return true;
        }
        Set<String> names = serverNames(hosts);
        Optional<Chain> same = use.chains().stream()
                .filter(c -> c.credential().equals(tls.get()))
                .findFirst();
        for (Chain other : use.chains()) {
            if (same.isPresent() && other == same.get()) {
                continue;
            }
            if (names.isEmpty() && other.serverNames().isEmpty()) {
                warn.accept(what + " is skipped: port " + port + " already has a default certificate, "
                        + other.credential().source() + " (a server with hosts [*])");
                return false;
            }
            for (String name : names) {
                if (other.serverNames().contains(name)) {
                    warn.accept(what + " is skipped: on port " + port + " " + name + " is already served with "
                            + other.credential().source());
                    return false;
                }
            }
        }
        if (same.isPresent()) {
            if (names.isEmpty() || same.get().serverNames().isEmpty()) {
                same.get().serverNames().clear(); // the default chain takes every name
            } else {
                same.get().serverNames().addAll(names);
            }
        } else {
            use.chains().add(new Chain(tls.get(), names));
        }
        return true;
    }

    /** Takes {@code port} for TLS passthrough; false, with a warning, when it serves HTTP or HTTPS already. */
    boolean claimPassthrough(int port, String what, Consumer<String> warn) {
        Use use = byPort.putIfAbsent(port, new Use(false, true, false, new ArrayList<>()));
        if (use == null || use.passthrough()) {
            return true;
        }
        warn.accept(
                what + " is skipped: port " + port + " already serves " + use.what() + " (one port cannot serve both)");
        return false;
    }

    /** Takes {@code port} for a TCP proxy; false, with a warning, when another listener has it already. */
    boolean claimTcp(int port, String what, Consumer<String> warn) {
        Use use = byPort.putIfAbsent(port, new Use(false, false, true, new ArrayList<>()));
        if (use == null) {
            return true;
        }
        warn.accept(what + " is skipped: port " + port + " already serves " + use.what()
                + (use.tcp() ? " for another listener" : " (one port cannot serve both)"));
        return false;
    }

    /** Server hosts as SNI names: without {@code ns/}; {@code *} anywhere means every name (empty). */
    private static Set<String> serverNames(List<String> hosts) {
        Set<String> names = new LinkedHashSet<>();
        for (String host : hosts) {
            String name = host.substring(host.indexOf('/') + 1);
            if (name.equals("*")) {
                return new LinkedHashSet<>();
            }
            names.add(name);
        }
        return names;
    }

    /**
     * The port's listener {@code 0.0.0.0_<port>} routed by {@code http.<port>}: for HTTPS one filter chain per
     * certificate, those with server names first, the default chain last.
     */
    Listener listener(int port) {
        String name = EnvoyNames.gatewayListener(port);
        Listener plain = ListenerTranslator.http(name, "0.0.0.0", port, EnvoyNames.gatewayRoute(port));
        Use use = byPort.get(port);
        if (use == null || !use.https()) {
            return plain;
        }
        Listener.Builder listener = plain.toBuilder().clearFilterChains();
        List<Chain> ordered = new ArrayList<>(use.chains());
        ordered.sort((a, b) ->
                Boolean.compare(a.serverNames().isEmpty(), b.serverNames().isEmpty()));
        for (Chain chain : ordered) {
            var filterChain = ListenerTranslator.withTls(plain, chain.credential()).getFilterChains(0).toBuilder();
            if (!chain.serverNames().isEmpty()) {
                filterChain.setFilterChainMatch(FilterChainMatch.newBuilder().addAllServerNames(chain.serverNames()));
            }
            listener.addFilterChains(filterChain);
        }
        return listener.build();
    }
}
