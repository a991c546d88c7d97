package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigResource;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.fabric8.istio.api.api.networking.v1alpha3.Server;
import io.fabric8.istio.api.networking.v1.Gateway;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * An Istio {@code Gateway} and the VirtualServices bound to it ({@code gateways: [<name>]} or
 * {@code [<ns>/<name>]}) as an ingress gateway's resources: per HTTP server port a listener {@code 0.0.0.0_<port>}
 * and a route table {@code http.<port>} with one virtual host per VirtualService host that the port's server
 * {@code hosts} admit ({@code ns/host} restricts the VirtualService's namespace, {@code ./} means the Gateway's).
 * HTTPS servers with {@code tls.mode: SIMPLE} (or {@code MUTUAL}, requiring client certificates from the Secret's
 * CA) terminate TLS with the certificate of their {@code credentialName} Secret, picked by SNI against the server's hosts when a port has several; an HTTP server with
 * {@code tls.httpsRedirect} gets virtual hosts with {@code require_tls: ALL} (301 to https). TLS servers, and HTTPS servers with {@code PASSTHROUGH}, pass the
 * client's TLS through to the destination of the bound VirtualServices' {@code tls} route its SNI matches
 * ({@link TlsPassthroughRoutes}). Other TLS modes and TCP servers are reported and skipped. Gateways
 * with the same {@code selector} are one proxy, as in Istio: each of their names gets the resources of all.
 */
final class IstioGatewayTranslator {

    private final TranslationScope scope;

    /** Server protocols whose bytes the gateway proxies as TCP, as Istio does. */
    private static final java.util.Set<String> TCP_PROTOCOLS = java.util.Set.of("TCP", "MONGO", "MYSQL", "REDIS");

    IstioGatewayTranslator(TranslationScope scope) {
        this.scope = scope;
    }

    /** A server host pattern with its namespace restriction. */
    record ServerHost(String namespace, String host) {
        static ServerHost parse(String text, String gatewayNamespace) {
            int slash = text.indexOf('/');
            if (slash < 0) {
                return new ServerHost("*", text);
            }
            String ns = text.substring(0, slash);
            return new ServerHost(ns.equals(".") ? gatewayNamespace : ns, text.substring(slash + 1));
        }

        boolean admits(String vsNamespace, String vsHost) {
            return (namespace.equals("*") || namespace.equals(vsNamespace)) && HostMatch.overlaps(host, vsHost);
        }
    }

    /**
     * A server host on a port, and the Gateway it belongs to ({@code ns/name}).
     *
     * @param httpsRedirect the server has {@code tls.httpsRedirect}: its virtual hosts send plain HTTP to https
     */
    record PortHost(String gateway, ServerHost host, boolean httpsRedirect) {}

    /**
     * The resources of the proxy that runs these Gateways: those with the same {@code selector} select the same
     * gateway pods, so (as in Istio) their servers share listeners and route tables.
     */
    ProxyResources translate(List<ConfigResource> group) {
        Map<Integer, List<PortHost>> hostsByPort = new TreeMap<>();
        Map<Integer, List<PortHost>> passthroughByPort = new TreeMap<>();
        Map<Integer, List<PortHost>> tcpByPort = new TreeMap<>();
        GatewayPorts ports = new GatewayPorts();
        for (ConfigResource resource : group) {
            servers(resource, hostsByPort, passthroughByPort, tcpByPort, ports);
        }
        String proxyNamespace = group.getFirst().key().namespace();
        ClusterSet clusters = scope.clusterSet(proxyNamespace);
        Map<String, Listener> listeners = new TreeMap<>();
        Map<String, RouteConfiguration> routes = new TreeMap<>();
        hostsByPort.forEach((port, serverHosts) -> {
            Listener listener = ports.listener(port);
            listeners.put(listener.getName(), listener);
            String routeName = EnvoyNames.gatewayRoute(port);
            VirtualHosts vhosts = new VirtualHosts(port);
            for (VirtualServices.Bound vs : scope.virtualServices.all()) {
                String vsNamespace = vs.service().getMetadata().getNamespace();
                for (String host : vs.hosts()) {
                    // The first of this proxy's Gateways that the VirtualService binds to and that admits the host.
                    serverHosts.stream()
                            .filter(h -> VirtualServices.bindsTo(vs, h.gateway())
                                    && h.host().admits(vsNamespace, host))
                            .findFirst()
                            .ifPresent(h -> {
                                vhosts.add(
                                        host,
                                        VirtualServiceRoutes.translate(
                                                vs.service(),
                                                new RouteMatches.Scope(port, h.gateway(), vsNamespace),
                                                clusters,
                                                scope.warnTo(vs.resource().key())));
                                if (h.httpsRedirect()) {
                                    vhosts.requireTls(host);
                                }
                            });
                }
            }
            // As Istio: a redirecting server redirects its hosts even when no VirtualService binds to them.
            serverHosts.stream()
                    .filter(PortHost::httpsRedirect)
                    .forEach(h -> vhosts.requireTls(h.host().host()));
            routes.put(routeName, vhosts.build(routeName));
        });
        passthroughByPort.forEach((port, serverHosts) -> TlsPassthroughRoutes.listener(
                        port,
                        serverHosts,
                        scope,
                        clusters,
                        scope.warnTo(group.getFirst().key()))
                .ifPresent(l -> listeners.put(l.getName(), l)));
        tcpByPort.forEach((port, serverHosts) -> {
            var weights = TcpRoutes.forGateway(port, serverHosts, scope, clusters);
            if (weights.isEmpty()) {
                scope.warnTo(group.getFirst().key())
                        .accept("TCP port " + port + " is not served: no VirtualService tcp route binds to it");
                return;
            }
            Listener listener = ListenerTranslator.tcp(
                    EnvoyNames.gatewayListener(port),
                    "0.0.0.0",
                    port,
                    weights.get(),
                    clusters.tcpProxyFor(weights.get()));
            listeners.put(listener.getName(), listener);
        });
        return new ProxyResources(
                new TreeMap<>(listeners),
                new TreeMap<>(routes),
                new TreeMap<>(clusters.clusters()),
                new TreeMap<>(clusters.endpoints()));
    }

    private void servers(
            ConfigResource resource,
            Map<Integer, List<PortHost>> hostsByPort,
            Map<Integer, List<PortHost>> passthroughByPort,
            Map<Integer, List<PortHost>> tcpByPort,
            GatewayPorts ports) {
        Gateway gateway = resource.as(Gateway.class);
        String namespace = gateway.getMetadata().getNamespace();
        String gatewayName = namespace + "/" + gateway.getMetadata().getName();
        Consumer<String> warn = scope.warnTo(resource.key());
        for (Server server : MeshServices.listOrEmpty(
                gateway.getSpec() == null ? null : gateway.getSpec().getServers())) {
            if (server.getPort() == null || server.getPort().getNumber() == null) {
                warn.accept("a server without port.number is skipped");
                continue;
            }
            int port = server.getPort().getNumber().intValue();
            String protocol = server.getPort().getProtocol() == null
                    ? "HTTP"
                    : server.getPort().getProtocol().toUpperCase(Locale.ROOT);
            if (passesTlsThrough(protocol, server)) {
                if (ports.claimPassthrough(port, "server on port " + port, warn)) {
                    List<PortHost> hosts = passthroughByPort.computeIfAbsent(port, p -> new ArrayList<>());
                    for (String host : MeshServices.listOrEmpty(server.getHosts())) {
                        hosts.add(new PortHost(gatewayName, ServerHost.parse(host, namespace), false));
                    }
                }
                continue;
            }
            if (TCP_PROTOCOLS.contains(protocol) && server.getTls() == null) {
                if (ports.claimTcp(port, "server on port " + port, warn)) {
                    List<PortHost> hosts = tcpByPort.computeIfAbsent(port, p -> new ArrayList<>());
                    for (String host : MeshServices.listOrEmpty(server.getHosts())) {
                        hosts.add(new PortHost(gatewayName, ServerHost.parse(host, namespace), false));
                    }
                }
                continue;
            }
            Optional<GatewayCredential> tls;
            if (protocol.equals("HTTPS")) {
                tls = credential(server, namespace, port, warn);
                if (tls.isEmpty()) {
                    continue;
                }
            } else if (List.of("HTTP", "HTTP2", "GRPC").contains(protocol)
                    && (server.getTls() == null || onlyHttpsRedirect(server))) {
                tls = Optional.empty();
            } else {
                warn.accept("server on port " + port + " (" + protocol + (server.getTls() != null ? ", tls" : "")
                        + ") is not supported yet; HTTP, HTTPS (SIMPLE, MUTUAL or PASSTHROUGH), TLS (PASSTHROUGH)"
                        + " and TCP servers are served");
                continue;
            }
            if (!ports.claim(port, tls, MeshServices.listOrEmpty(server.getHosts()), "server on port " + port, warn)) {
                continue;
            }
            List<PortHost> hosts = hostsByPort.computeIfAbsent(port, p -> new ArrayList<>());
            boolean httpsRedirect = server.getTls() != null
                    && Boolean.TRUE.equals(server.getTls().getHttpsRedirect());
            for (String host : MeshServices.listOrEmpty(server.getHosts())) {
                hosts.add(new PortHost(gatewayName, ServerHost.parse(host, namespace), httpsRedirect));
            }
        }
    }

    /** A TLS server (PASSTHROUGH unless it says otherwise), or an HTTPS server with {@code tls.mode: PASSTHROUGH}. */
    private static boolean passesTlsThrough(String protocol, Server server) {
        String mode = server.getTls() == null || server.getTls().getMode() == null
                ? "PASSTHROUGH"
                : String.valueOf(server.getTls().getMode());
        return (protocol.equals("TLS") || protocol.equals("HTTPS")) && mode.equals("PASSTHROUGH");
    }

    /** A plain HTTP server's {@code tls} may only ask for the redirect to https; anything else needs HTTPS. */
    private static boolean onlyHttpsRedirect(Server server) {
        var tls = server.getTls();
        return tls.getMode() == null
                && (tls.getCredentialName() == null || tls.getCredentialName().isBlank())
                && (tls.getServerCertificate() == null
                        || tls.getServerCertificate().isBlank());
    }

    /**
     * An HTTPS server's certificate: {@code tls.mode: SIMPLE} with a {@code credentialName} Secret, or {@code MUTUAL}
     * with the client CA too.
     */
    private Optional<GatewayCredential> credential(Server server, String namespace, int port, Consumer<String> warn) {
        var tls = server.getTls();
        String mode = tls == null || tls.getMode() == null ? "PASSTHROUGH" : String.valueOf(tls.getMode());
        if (!mode.equals("SIMPLE") && !mode.equals("MUTUAL")) {
            warn.accept("HTTPS server on port " + port + " with tls.mode " + mode
                    + " is not supported yet; SIMPLE and MUTUAL (TLS terminated at the gateway) are served");
            return Optional.empty();
        }
        for (String hash : MeshServices.listOrEmpty(tls.getVerifyCertificateHash())) {
            if (!hash.replace(":", "").matches("[0-9a-fA-F]{64}")) {
                warn.accept("HTTPS server on port " + port + ": tls.verifyCertificateHash '" + hash + "' is not a"
                        + " SHA-256 digest in hex; the server is not served");
                return Optional.empty();
            }
        }
        for (String spki : MeshServices.listOrEmpty(tls.getVerifyCertificateSpki())) {
            if (!isSha256InBase64(spki)) {
                warn.accept("HTTPS server on port " + port + ": tls.verifyCertificateSpki '" + spki + "' is not a"
                        + " base64 SHA-256 digest; the server is not served");
                return Optional.empty();
            }
        }
        if (tls.getCredentialName() == null || tls.getCredentialName().isBlank()) {
            warn.accept("HTTPS server on port " + port + " needs tls.credentialName (certificate files on the"
                    + " gateway, serverCertificate/privateKey, are not supported)");
            return Optional.empty();
        }
        return mode.equals("MUTUAL")
                ? GatewayCredential.resolveMutual(scope.snapshot, namespace, tls.getCredentialName(), warn)
                        .map(c -> c.withClientChecks(new GatewayCredential.ClientChecks(
                                MeshServices.listOrEmpty(tls.getSubjectAltNames()),
                                MeshServices.listOrEmpty(tls.getVerifyCertificateHash()),
                                MeshServices.listOrEmpty(tls.getVerifyCertificateSpki()),
                                clientRevocationList(tls, namespace))))
                : GatewayCredential.resolve(scope.snapshot, namespace, tls.getCredentialName(), warn);
    }

    /** {@code tls.caCrl} (a file on the gateway) or else the {@code ca.crl} of the credential's Secret. */
    private Optional<io.envoyproxy.envoy.config.core.v3.DataSource> clientRevocationList(
            io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettings tls, String namespace) {
        if (tls.getCaCrl() != null && !tls.getCaCrl().isBlank()) {
            return Optional.of(io.envoyproxy.envoy.config.core.v3.DataSource.newBuilder()
                    .setFilename(tls.getCaCrl())
                    .build());
        }
        return GatewayCredential.revocationList(scope.snapshot, namespace, tls.getCredentialName())
                .map(ListenerTranslator::inline);
    }

    private static boolean isSha256InBase64(String value) {
        try {
            return java.util.Base64.getDecoder().decode(value).length == 32;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
