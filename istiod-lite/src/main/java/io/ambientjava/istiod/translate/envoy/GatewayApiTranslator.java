package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ResourceKind;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference;
import io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.TCPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.TLSRoute;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A Gateway API {@code Gateway} (of a class other than {@code istio-waypoint}) and the HTTPRoutes attached to it as
 * an ingress gateway's resources: per HTTP or HTTPS listener port a listener {@code 0.0.0.0_<port>} (HTTPS: TLS
 * terminated with the listener's first {@code certificateRefs} Secret, picked by SNI against the listener's
 * {@code hostname} when a port has several) and a route table {@code http.<port>}, one virtual host per route hostname (limited by the listener's {@code hostname}; {@code *}
 * when neither names one). Routes attach through {@code parentRefs} (optionally by {@code sectionName} or
 * {@code port}) and must be allowed by the listener's {@code allowedRoutes.namespaces} ({@code Same} by default).
 */
final class GatewayApiTranslator {

    private final TranslationScope scope;

    GatewayApiTranslator(TranslationScope scope) {
        this.scope = scope;
    }

    ProxyResources translate(Gateway gateway) {
        String namespace = gateway.getMetadata().getNamespace();
        String name = gateway.getMetadata().getName();
        Consumer<String> warn = scope.warnTo(ResourceKind.GATEWAY, gateway);
        ClusterSet clusters = scope.clusterSet(namespace);
        List<HasMetadata> allRoutes = new ArrayList<>(scope.snapshot.all(ResourceKind.HTTP_ROUTE, HTTPRoute.class));
        allRoutes.addAll(scope.snapshot.all(ResourceKind.GRPC_ROUTE, GRPCRoute.class));
        Map<Integer, Map<String, List<HasMetadata>>> byPortAndHost = new TreeMap<>();
        Map<Integer, Map<List<String>, Map<String, Integer>>> passthroughByPort = new TreeMap<>();
        GatewayPorts ports = new GatewayPorts();
        Map<String, Listener> tcpListeners = new TreeMap<>();
        for (var listener : MeshServices.listOrEmpty(gateway.getSpec().getListeners())) {
            String protocol =
                    listener.getProtocol() == null ? "" : listener.getProtocol().toUpperCase(Locale.ROOT);
            if (listener.getPort() == null) {
                continue;
            }
            if (protocol.equals("TLS")) {
                passthrough(gateway, listener, ports, clusters, passthroughByPort, warn);
                continue;
            }
            if (protocol.equals("TCP")) {
                tcp(gateway, listener, ports, clusters, warn).ifPresent(l -> tcpListeners.put(l.getName(), l));
                continue;
            }
            Optional<GatewayCredential> tls;
            if (protocol.equals("HTTPS")) {
                Optional<FrontendValidation.ClientCa> clients;
                try {
                    clients = FrontendValidation.forPort(gateway, listener.getPort(), scope.snapshot);
                } catch (IllegalArgumentException e) {
                    warn.accept("HTTPS listener '" + listener.getName() + "': spec.tls.frontend: " + e.getMessage()
                            + "; port " + listener.getPort() + " is not served rather than admit clients it"
                            + " should refuse");
                    continue;
                }
                tls = credential(listener, namespace, warn);
                if (tls.isEmpty()) {
                    continue;
                }
                if (clients.isPresent()) {
                    tls = Optional.of(tls.get()
                            .withClientCa(clients.get().caPem(), clients.get().required()));
                }
            } else if (protocol.equals("HTTP")) {
                tls = Optional.empty();
            } else {
                warn.accept("listener '" + listener.getName() + "' (" + protocol
                        + ") is not supported yet; only HTTP, HTTPS (Terminate), TLS (Passthrough) and TCP");
                continue;
            }
            List<String> sniHosts =
                    listener.getHostname() == null || listener.getHostname().isBlank()
                            ? List.of("*")
                            : List.of(listener.getHostname());
            if (!ports.claim(listener.getPort(), tls, sniHosts, "listener '" + listener.getName() + "'", warn)) {
                continue;
            }
            Map<String, List<HasMetadata>> byHost =
                    byPortAndHost.computeIfAbsent(listener.getPort(), p -> new LinkedHashMap<>());
            for (HasMetadata route : allRoutes) {
                String routeNamespace = route.getMetadata().getNamespace();
                if (!attached(route, namespace, name, listener.getName(), listener.getPort())) {
                    continue;
                }
                if (!allowsKind(listener, route.getKind())) {
                    scope.warnTo(routeKind(route), route)
                            .accept("listener '" + listener.getName() + "' of " + namespace + "/" + name
                                    + " does not allow " + route.getKind() + " (allowedRoutes.kinds); not attached");
                    continue;
                }
                Optional<String> refused =
                        AllowedNamespaces.refusal(listener, namespace, routeNamespace, scope.snapshot);
                if (refused.isPresent()) {
                    scope.warnTo(routeKind(route), route)
                            .accept("listener '" + listener.getName() + "' of " + namespace + "/" + name + " "
                                    + refused.get() + "; not attached");
                    continue;
                }
                for (String host : hosts(route, listener.getHostname())) {
                    byHost.computeIfAbsent(host, h -> new ArrayList<>()).add(route);
                }
            }
        }
        Map<String, Listener> listeners = new TreeMap<>(tcpListeners);
        Map<String, RouteConfiguration> routes = new TreeMap<>();
        byPortAndHost.forEach((port, byHost) -> {
            Listener listener = ports.listener(port);
            listeners.put(listener.getName(), listener);
            String routeName = EnvoyNames.gatewayRoute(port);
            VirtualHosts vhosts = new VirtualHosts(port);
            byHost.forEach((host, hostRoutes) -> {
                List<RankedRoute> ranked = new ArrayList<>(HttpRouteRoutes.ranked(
                        only(hostRoutes, HTTPRoute.class),
                        port,
                        clusters,
                        scope.snapshot,
                        r -> scope.warnTo(ResourceKind.HTTP_ROUTE, r)));
                ranked.addAll(GrpcRouteRoutes.ranked(
                        only(hostRoutes, GRPCRoute.class),
                        port,
                        clusters,
                        scope.snapshot,
                        r -> scope.warnTo(ResourceKind.GRPC_ROUTE, r)));
                vhosts.add(host, RankedRoute.inPrecedence(ranked));
            });
            routes.put(routeName, vhosts.build(routeName));
        });
        passthroughByPort.forEach((port, chains) -> {
            if (chains.isEmpty()) {
                warn.accept("TLS listener port " + port + " is not served: no TLSRoute with a backend attaches to it");
                return;
            }
            Listener listener = ListenerTranslator.tlsPassthrough(EnvoyNames.gatewayListener(port), port, chains);
            listeners.put(listener.getName(), listener);
        });
        return new ProxyResources(
                new TreeMap<>(listeners),
                new TreeMap<>(routes),
                new TreeMap<>(clusters.clusters()),
                new TreeMap<>(clusters.endpoints()));
    }

    /**
     * A TLS listener ({@code tls.mode: Passthrough}, the default): the TLSRoutes attached to it, each a filter chain
     * for its hostnames (narrowed by the listener's) to its backends by weight, the first route for a name taking it.
     */
    private void passthrough(
            Gateway gateway,
            io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener listener,
            GatewayPorts ports,
            ClusterSet clusters,
            Map<Integer, Map<List<String>, Map<String, Integer>>> passthroughByPort,
            Consumer<String> warn) {
        String what = "listener '" + listener.getName() + "'";
        String mode = listener.getTls() == null || listener.getTls().getMode() == null
                ? "Passthrough"
                : listener.getTls().getMode();
        if (!mode.equals("Passthrough")) {
            warn.accept(what + " (TLS, " + mode + ") is not supported yet; TLS listeners pass TLS through");
            return;
        }
        if (!ports.claimPassthrough(listener.getPort(), what, warn)) {
            return;
        }
        Map<List<String>, Map<String, Integer>> chains =
                passthroughByPort.computeIfAbsent(listener.getPort(), p -> new LinkedHashMap<>());
        java.util.Set<String> taken = new java.util.HashSet<>();
        chains.keySet().forEach(taken::addAll);
        for (TLSRoute route : admittedRoutes(
                ResourceKind.TLS_ROUTE,
                TLSRoute.class,
                r -> r.getSpec() == null ? null : r.getSpec().getParentRefs(),
                gateway,
                listener)) {
            Consumer<String> routeWarn = scope.warnTo(ResourceKind.TLS_ROUTE, route);
            List<String> names = new ArrayList<>();
            boolean anyName = false; // the default chain: no hostnames on the route nor the listener
            for (String host :
                    hosts(MeshServices.listOrEmpty(route.getSpec().getHostnames()), listener.getHostname())) {
                String name = host.equals("*") ? "" : host;
                if (!taken.add(name)) {
                    routeWarn.accept("hostname " + host + " on port " + listener.getPort()
                            + " is skipped: an earlier TLSRoute takes it");
                } else if (name.isEmpty()) {
                    anyName = true;
                } else {
                    names.add(name);
                }
            }
            if (names.isEmpty() && !anyName) {
                continue;
            }
            Map<String, Integer> weights = backendWeights(route, listener.getPort(), clusters, routeWarn);
            if (weights.isEmpty()) {
                routeWarn.accept("TLSRoute has no Service backend; nothing is served for it");
                continue;
            }
            chains.put(List.copyOf(names), weights);
        }
    }

    /**
     * A TCP listener: a TCP proxy to the backends of the oldest TCPRoute attached to it (Gateway API lets one route
     * have a TCP listener); later ones are reported. With no such route the port is not served.
     */
    private Optional<Listener> tcp(
            Gateway gateway,
            io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener listener,
            GatewayPorts ports,
            ClusterSet clusters,
            Consumer<String> warn) {
        String namespace = gateway.getMetadata().getNamespace();
        String what = "listener '" + listener.getName() + "'";
        if (!ports.claimTcp(listener.getPort(), what, warn)) {
            return Optional.empty();
        }
        Optional<Listener> served = Optional.empty();
        String servedBy = null;
        for (TCPRoute route : admittedRoutes(
                ResourceKind.TCP_ROUTE,
                TCPRoute.class,
                r -> r.getSpec() == null ? null : r.getSpec().getParentRefs(),
                gateway,
                listener)) {
            String routeNamespace = route.getMetadata().getNamespace();
            Consumer<String> routeWarn = scope.warnTo(ResourceKind.TCP_ROUTE, route);
            if (served.isPresent()) {
                routeWarn.accept("is skipped: " + what + " of " + namespace + "/"
                        + gateway.getMetadata().getName() + " is taken by the older TCPRoute " + servedBy);
                continue;
            }
            Map<String, Integer> weights = new RouteBackends(
                            "TCPRoute", routeNamespace, listener.getPort(), clusters, scope.snapshot, routeWarn)
                    .weights(MeshServices.listOrEmpty(route.getSpec().getRules()).stream()
                            .flatMap(rule -> MeshServices.listOrEmpty(rule.getBackendRefs()).stream())
                            .toList());
            if (weights.isEmpty()) {
                routeWarn.accept("TCPRoute has no Service backend; nothing is served for it");
                continue;
            }
            String name = EnvoyNames.gatewayListener(listener.getPort());
            served = Optional.of(ListenerTranslator.tcp(
                    name, "0.0.0.0", listener.getPort(), weights, clusters.tcpProxyFor(weights)));
            servedBy = routeNamespace + "/" + route.getMetadata().getName();
        }
        if (served.isEmpty()) {
            warn.accept("TCP listener port " + listener.getPort()
                    + " is not served: no TCPRoute with a backend attaches to it");
        }
        return served;
    }

    /**
     * The routes of {@code kind} (TLSRoute, TCPRoute) whose {@code parentRefs} attach them to the listener and that
     * it admits (its {@code allowedRoutes} kinds and namespaces), oldest first; those it does not admit are reported.
     */
    private <R extends HasMetadata> List<R> admittedRoutes(
            ResourceKind kind,
            Class<R> type,
            java.util.function.Function<R, List<io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference>>
                    parentRefs,
            Gateway gateway,
            io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener listener) {
        String namespace = gateway.getMetadata().getNamespace();
        String where = "listener '" + listener.getName() + "' of " + namespace + "/"
                + gateway.getMetadata().getName();
        List<R> routes = new ArrayList<>(scope.snapshot.all(kind, type));
        routes.sort(java.util.Comparator.comparing(
                        (R r) -> String.valueOf(r.getMetadata().getCreationTimestamp()))
                .thenComparing(r ->
                        r.getMetadata().getNamespace() + "/" + r.getMetadata().getName()));
        List<R> admitted = new ArrayList<>();
        for (R route : routes) {
            String routeNamespace = route.getMetadata().getNamespace();
            var refs = parentRefs.apply(route);
            if (refs == null
                    || !attached(
                            refs,
                            routeNamespace,
                            namespace,
                            gateway.getMetadata().getName(),
                            listener.getName(),
                            listener.getPort())) {
                continue;
            }
            Consumer<String> routeWarn = scope.warnTo(kind, route);
            if (!allowsKind(listener, route.getKind())) {
                routeWarn.accept(where + " does not allow " + route.getKind() + " (allowedRoutes.kinds); not attached");
                continue;
            }
            Optional<String> refused = AllowedNamespaces.refusal(listener, namespace, routeNamespace, scope.snapshot);
            if (refused.isPresent()) {
                routeWarn.accept(where + " " + refused.get() + "; not attached");
                continue;
            }
            admitted.add(route);
        }
        return admitted;
    }

    /** A TLSRoute's Service backends (of all its rules) as cluster → weight; others are reported and left out. */
    private Map<String, Integer> backendWeights(TLSRoute route, int port, ClusterSet clusters, Consumer<String> warn) {
        return new RouteBackends("TLSRoute", route.getMetadata().getNamespace(), port, clusters, scope.snapshot, warn)
                .weights(MeshServices.listOrEmpty(route.getSpec().getRules()).stream()
                        .flatMap(rule -> MeshServices.listOrEmpty(rule.getBackendRefs()).stream())
                        .toList());
    }

    /** Whether the listener's {@code allowedRoutes.kinds} (by default, every kind its protocol serves) has it. */
    private static boolean allowsKind(io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener listener, String kind) {
        var kinds = listener.getAllowedRoutes() == null
                ? null
                : listener.getAllowedRoutes().getKinds();
        return kinds == null
                || kinds.isEmpty()
                || kinds.stream()
                        .anyMatch(k -> kind.equals(k.getKind())
                                && (k.getGroup() == null || k.getGroup().equals("gateway.networking.k8s.io")));
    }

    /**
     * An HTTPS listener's certificate: {@code tls.mode: Terminate} with a Secret in the Gateway's namespace, or in
     * another one whose ReferenceGrant allows it.
     */
    private Optional<GatewayCredential> credential(
            io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener listener, String namespace, Consumer<String> warn) {
        var tls = listener.getTls();
        String mode = tls == null || tls.getMode() == null ? "Terminate" : tls.getMode();
        if (!mode.equals("Terminate")) {
            warn.accept("listener '" + listener.getName() + "' with tls.mode " + mode
                    + " is not supported yet; only Terminate");
            return Optional.empty();
        }
        var refs = tls == null
                ? List.<io.fabric8.kubernetes.api.model.gatewayapi.v1.SecretObjectReference>of()
                : MeshServices.listOrEmpty(tls.getCertificateRefs());
        if (refs.isEmpty()) {
            warn.accept("HTTPS listener '" + listener.getName() + "' needs tls.certificateRefs");
            return Optional.empty();
        }
        var ref = refs.getFirst();
        String kind = ref.getKind() == null ? "Secret" : ref.getKind();
        String group = ref.getGroup() == null ? "" : ref.getGroup();
        if (!kind.equals("Secret") || !group.isEmpty()) {
            warn.accept("listener '" + listener.getName() + "': certificateRefs to " + kind
                    + " are not supported; only core Secrets");
            return Optional.empty();
        }
        String secretNamespace = ref.getNamespace() == null ? namespace : ref.getNamespace();
        if (!secretNamespace.equals(namespace)
                && !ReferenceGrants.allow(
                        scope.snapshot, "Gateway", namespace, "Secret", secretNamespace, ref.getName())) {
            warn.accept("listener '" + listener.getName() + "': the Secret " + secretNamespace + "/" + ref.getName()
                    + " is in another namespace and no ReferenceGrant there lets Gateways of " + namespace
                    + " use it");
            return Optional.empty();
        }
        if (refs.size() > 1) {
            warn.accept("listener '" + listener.getName() + "': only the first of " + refs.size()
                    + " certificateRefs is served");
        }
        return GatewayCredential.resolve(scope.snapshot, secretNamespace, ref.getName(), warn);
    }

    private static boolean attached(HasMetadata route, String namespace, String name, String section, Integer port) {
        return attached(
                GatewayRouteParents.of(route), route.getMetadata().getNamespace(), namespace, name, section, port);
    }

    private static ResourceKind routeKind(HasMetadata route) {
        return route instanceof GRPCRoute ? ResourceKind.GRPC_ROUTE : ResourceKind.HTTP_ROUTE;
    }

    private static <R> List<R> only(List<HasMetadata> routes, Class<R> type) {
        return routes.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** Whether {@code parentRefs} (of a route in {@code routeNamespace}) name this Gateway's listener. */
    static boolean attached(
            List<ParentReference> parentRefs,
            String routeNamespace,
            String namespace,
            String name,
            String section,
            Integer port) {
        for (ParentReference parent : MeshServices.listOrEmpty(parentRefs)) {
            String kind = parent.getKind() == null ? "Gateway" : parent.getKind();
            String ns = parent.getNamespace() == null ? routeNamespace : parent.getNamespace();
            if (kind.equals("Gateway")
                    && name.equals(parent.getName())
                    && namespace.equals(ns)
                    && (parent.getSectionName() == null
                            || parent.getSectionName().equals(section))
                    && (parent.getPort() == null || parent.getPort().equals(port))) {
                return true;
            }
        }
        return false;
    }

    /** The route's hostnames that the listener admits; {@code *} stands for "any". */
    private static List<String> hosts(HasMetadata route, String listenerHost) {
        return hosts(GatewayRouteParents.hostnames(route), listenerHost);
    }

    /** Of a route's {@code routeHosts}, those the listener's hostname admits; {@code *} stands for "any". */
    static List<String> hosts(List<String> routeHosts, String listenerHost) {
        String listener = listenerHost == null || listenerHost.isEmpty() ? "*" : listenerHost;
        if (routeHosts.isEmpty()) {
            return List.of(listener);
        }
        List<String> admitted = new ArrayList<>();
        for (String host : routeHosts) {
            if (HostMatch.matches(listener, host)) {
                admitted.add(host);
            } else if (HostMatch.matches(host, listener)) {
                admitted.add(listener);
            }
        }
        return admitted;
    }
}
