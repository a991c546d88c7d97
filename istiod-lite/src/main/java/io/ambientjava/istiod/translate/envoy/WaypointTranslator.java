package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.IpPrefix;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.translate.MeshWorkloads;
import io.ambientjava.istiod.translate.WaypointIndex;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The resources of one waypoint: for every Service and every ServiceEntry host bound to it
 * ({@code istio.io/use-waypoint}) and every port, a listener on the VIP and port, and for HTTP ports a route table with one virtual host. Its routes come from the
 * Gateway API HTTPRoutes attached to the Service (GAMMA: {@code parentRefs} of kind Service) when there are any,
 * else from the VirtualServices for the service's host (gateways {@code mesh}), else one catch-all route to the
 * service. For a waypoint that takes workload-addressed traffic ({@code istio.io/waypoint-for: workload} or
 * {@code all}) and the pods bound to it, the {@code inbound-pod} listener (one chain per pod IP, with that pod's
 * security filters), its route table and the {@code ORIGINAL_DST} cluster it routes to.
 */
final class WaypointTranslator {

    /** Where the waypoint's tunnels arrive: the {@code inbound-pod} listener's port. */
    static final int TUNNEL_PORT = 15008;

    private final TranslationScope scope;
    private final WaypointSecurity security;
    private Map<String, List<Pod>> workloadPods;

    WaypointTranslator(TranslationScope scope) {
        this.scope = scope;
        this.security = new WaypointSecurity(scope);
    }

    /** After every waypoint: reports security policies whose targetRefs reached none. */
    void reportUnappliedPolicies() {
        security.reportUnapplied();
    }

    ProxyResources translate(WaypointIndex waypoints, WaypointIndex.Waypoint waypoint) {
        ClusterSet clusters = scope.clusterSet(waypoint.namespace());
        Map<String, Listener> listeners = new TreeMap<>();
        Map<String, RouteConfiguration> routes = new TreeMap<>();
        for (Service service : scope.snapshot.services()) {
            var bound = waypoints.forService(service, message -> {});
            if (bound.isEmpty() || !bound.get().key().equals(waypoint.key())) {
                continue;
            }
            scope.services
                    .byHostname(scope.settings.serviceHostname(
                            service.getMetadata().getName(),
                            service.getMetadata().getNamespace()))
                    .ifPresent(svc -> serve(
                            svc,
                            waypoint,
                            clusters,
                            listeners,
                            routes,
                            scope.warnTo(ResourceKind.SERVICE, service),
                            "has no cluster IP"));
        }
        for (ServiceEntry entry : scope.snapshot.all(ResourceKind.SERVICE_ENTRY, ServiceEntry.class)) {
            var bound = waypoints.forService(entry, message -> {});
            if (bound.isEmpty() || !bound.get().key().equals(waypoint.key()) || entry.getSpec() == null) {
                continue;
            }
            for (String host : MeshServices.listOrEmpty(entry.getSpec().getHosts())) {
                scope.services
                        .byHostname(host)
                        .filter(svc -> svc.entry().isPresent()
                                && svc.name().equals(entry.getMetadata().getName())
                                && svc.namespace().equals(entry.getMetadata().getNamespace()))
                        .ifPresent(svc -> serve(
                                svc,
                                waypoint,
                                clusters,
                                listeners,
                                routes,
                                scope.warnTo(ResourceKind.SERVICE_ENTRY, entry),
                                "host " + host + " has no address (spec.addresses)"));
            }
        }
        Map<String, Cluster> allClusters = new TreeMap<>(clusters.clusters());
        List<ListenerTranslator.PodChain> podChains = podChains(waypoints, waypoint);
        if (!podChains.isEmpty()) {
            listeners.put(EnvoyNames.INBOUND_POD, ListenerTranslator.inboundPod(TUNNEL_PORT, podChains));
            routes.put(EnvoyNames.INBOUND_POD, inboundPodRoutes());
            allClusters.put(EnvoyNames.INBOUND_POD_PASSTHROUGH, passthroughCluster());
        }
        Map<String, ClusterLoadAssignment> endpoints = clusters.endpoints();
        return new ProxyResources(
                new TreeMap<>(listeners), new TreeMap<>(routes), new TreeMap<>(allClusters), new TreeMap<>(endpoints));
    }

    /** A listener per port of {@code svc} on its first VIP, with its routes and clusters. */
    private void serve(
            MeshServices.MeshService svc,
            WaypointIndex.Waypoint waypoint,
            ClusterSet clusters,
            Map<String, Listener> listeners,
            Map<String, RouteConfiguration> routes,
            Consumer<String> warn,
            String noAddress) {
        if (svc.vips().isEmpty()) {
            warn.accept(noAddress + "; waypoint " + waypoint.key() + " cannot listen for it");
            return;
        }
        clusters.addService(svc);
        String vip = svc.vips().getFirst();
        for (MeshServices.MeshPort port : svc.ports()) {
            String listenerName = EnvoyNames.waypointListener(port.number(), port.http(), svc.hostname());
            String defaultCluster = EnvoyNames.cluster(port.number(), null, svc.hostname());
            if (!port.http()) {
                var weights = TcpRoutes.translate(
                                scope.virtualServices.forMeshHost(svc.hostname()), port.number(), clusters, scope)
                        .orElse(Map.of(defaultCluster, 100));
                listeners.put(
                        listenerName,
                        ListenerTranslator.tcp(
                                listenerName, vip, port.number(), weights, clusters.tcpProxyFor(weights)));
                continue;
            }
            String routeName = EnvoyNames.waypointRoute(svc.hostname(), port.number());
            listeners.put(
                    listenerName,
                    ListenerTranslator.http(
                            listenerName, vip, port.number(), routeName, security.filters(waypoint, svc)));
            routes.put(
                    routeName,
                    RouteConfiguration.newBuilder()
                            .setName(routeName)
                            .addVirtualHosts(VirtualHost.newBuilder()
                                    .setName(routeName)
                                    .addDomains("*")
                                    .addAllRoutes(routes(svc, port, waypoint.namespace(), clusters)))
                            .build());
        }
    }

    /**
     * One chain per IP of the pods bound to this waypoint for workload-addressed traffic, sorted by address. An
     * address two pods claim (a pod being replaced) goes to the first by namespace and name; the other is reported.
     */
    private List<ListenerTranslator.PodChain> podChains(WaypointIndex waypoints, WaypointIndex.Waypoint waypoint) {
        List<Pod> pods = workloadPods(waypoints).getOrDefault(waypoint.key(), List.of());
        Map<InetAddress, ListenerTranslator.PodChain> byAddress = new TreeMap<>(WaypointTranslator::compareAddresses);
        for (Pod pod : pods) {
            List<HttpFilter> filters = null; // the same for each IP of the pod
            for (String ip : MeshWorkloads.ips(pod)) {
                InetAddress address = IpPrefix.parseAddress(ip).orElseThrow();
                if (byAddress.containsKey(address)) {
                    scope.warn(
                            new ResourceKey(
                                    ResourceKind.POD,
                                    pod.getMetadata().getNamespace(),
                                    pod.getMetadata().getName()),
                            "another pod has IP " + ip + "; waypoint " + waypoint.key()
                                    + " takes the traffic addressed to it for that pod only");
                    continue;
                }
                if (filters == null) {
                    filters = security.filters(waypoint, pod);
                }
                MeshServices.Backend backend = scope.services.backend(pod, ip);
                byAddress.put(
                        address,
                        new ListenerTranslator.PodChain(ip, WorkloadMetadata.of(backend, scope.settings), filters));
            }
        }
        return List.copyOf(byAddress.values());
    }

    /**
     * The mesh's workloads by the waypoint that takes the traffic addressed to them ({@code istio.io/use-waypoint} on
     * the pod or its namespace naming a waypoint for {@code workload} or {@code all} traffic), in namespace and name
     * order; indexed once for all waypoints. The workload translation reports the labels that name no such waypoint.
     */
    private Map<String, List<Pod>> workloadPods(WaypointIndex waypoints) {
        if (workloadPods == null) {
            workloadPods = new HashMap<>();
            List<Pod> pods = new ArrayList<>(scope.snapshot.pods());
            pods.sort(Comparator.comparing((Pod p) -> p.getMetadata().getNamespace())
                    .thenComparing(p -> p.getMetadata().getName()));
            for (Pod pod : pods) {
                if (MeshWorkloads.ips(pod).isEmpty()) {
                    continue;
                }
                waypoints
                        .forWorkload(pod, message -> {})
                        .ifPresent(w -> workloadPods
                                .computeIfAbsent(w.key(), k -> new ArrayList<>())
                                .add(pod));
            }
        }
        return workloadPods;
    }

    /** IPv4 before IPv6, then by value. */
    private static int compareAddresses(InetAddress a, InetAddress b) {
        byte[] x = a.getAddress();
        byte[] y = b.getAddress();
        return x.length != y.length ? Integer.compare(x.length, y.length) : Arrays.compareUnsigned(x, y);
    }

    /** Every request addressed to a pod goes on to where it was addressed, with Istio's default retries. */
    private static RouteConfiguration inboundPodRoutes() {
        RouteAction.Builder action = RouteAction.newBuilder()
                .setCluster(EnvoyNames.INBOUND_POD_PASSTHROUGH)
                .setTimeout(VirtualServiceRoutes.NO_TIMEOUT);
        RetryPolicies.translate(null).ifPresent(action::setRetryPolicy);
        return RouteConfiguration.newBuilder()
                .setName(EnvoyNames.INBOUND_POD)
                .addVirtualHosts(VirtualHost.newBuilder()
                        .setName(EnvoyNames.INBOUND_POD)
                        .addDomains("*")
                        .addRoutes(Route.newBuilder()
                                .setName("default")
                                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                                .setRoute(action)))
                .build();
    }

    /** The connection's original destination (the pod's IP and port of the CONNECT): no endpoints of its own. */
    private static Cluster passthroughCluster() {
        return Cluster.newBuilder()
                .setName(EnvoyNames.INBOUND_POD_PASSTHROUGH)
                .setType(Cluster.DiscoveryType.ORIGINAL_DST)
                .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
                .setConnectTimeout(ClusterTranslator.DEFAULT_CONNECT_TIMEOUT)
                .build();
    }

    private List<Route> routes(
            MeshServices.MeshService svc, MeshServices.MeshPort port, String proxyNamespace, ClusterSet clusters) {
        List<HTTPRoute> attached = attached(HTTPRoute.class, ResourceKind.HTTP_ROUTE, svc, port.number());
        List<GRPCRoute> attachedGrpc = attached(GRPCRoute.class, ResourceKind.GRPC_ROUTE, svc, port.number());
        List<VirtualServices.Bound> virtualServices = scope.virtualServices.forMeshHost(svc.hostname());
        if (!attached.isEmpty() || !attachedGrpc.isEmpty()) {
            for (VirtualServices.Bound vs : virtualServices) {
                scope.warn(
                        vs.resource().key(),
                        "HTTPRoutes or GRPCRoutes attached to " + svc.hostname() + " take precedence;"
                                + " this VirtualService is not used by its waypoint");
            }
            List<RankedRoute> ranked = new ArrayList<>(HttpRouteRoutes.ranked(
                    attached, port.number(), clusters, scope.snapshot, r -> scope.warnTo(ResourceKind.HTTP_ROUTE, r)));
            ranked.addAll(GrpcRouteRoutes.ranked(
                    attachedGrpc,
                    port.number(),
                    clusters,
                    scope.snapshot,
                    r -> scope.warnTo(ResourceKind.GRPC_ROUTE, r)));
            return RankedRoute.inPrecedence(ranked);
        }
        List<Route> routes = new ArrayList<>();
        for (VirtualServices.Bound vs : virtualServices) {
            RouteMatches.Scope matchScope = new RouteMatches.Scope(
                    port.number(), GatewayNames.MESH, vs.service().getMetadata().getNamespace());
            routes.addAll(VirtualServiceRoutes.translate(
                    vs.service(),
                    matchScope,
                    clusters,
                    scope.warnTo(vs.resource().key())));
        }
        if (virtualServices.isEmpty()) {
            routes.add(defaultRoute(svc, port, clusters));
        }
        return routes;
    }

    /** The routes of one kind whose {@code parentRefs} name this Service (and this port, if they name one). */
    private <R extends io.fabric8.kubernetes.api.model.HasMetadata> List<R> attached(
            Class<R> type, ResourceKind kind, MeshServices.MeshService svc, int port) {
        List<R> attached = new ArrayList<>();
        for (R route : scope.snapshot.all(kind, type)) {
            for (ParentReference parent : GatewayRouteParents.of(route)) {
                String namespace =
                        parent.getNamespace() == null ? route.getMetadata().getNamespace() : parent.getNamespace();
                boolean service = "Service".equals(parent.getKind())
                        && (parent.getGroup() == null || parent.getGroup().isEmpty());
                if (service
                        && svc.name().equals(parent.getName())
                        && svc.namespace().equals(namespace)
                        && (parent.getPort() == null || parent.getPort() == port)) {
                    attached.add(route);
                    break;
                }
            }
        }
        return attached;
    }

    /** The route when nothing else is configured: everything to the whole service on this port. */
    static Route defaultRoute(MeshServices.MeshService svc, MeshServices.MeshPort port, ClusterSet clusters) {
        RouteAction.Builder action = RouteAction.newBuilder()
                .setCluster(EnvoyNames.cluster(port.number(), null, svc.hostname()))
                .setTimeout(VirtualServiceRoutes.NO_TIMEOUT);
        RetryPolicies.translate(null).ifPresent(action::setRetryPolicy);
        HashPolicies.of(clusters.policy(svc.hostname(), port.number(), null)).ifPresent(action::addHashPolicy);
        return Route.newBuilder()
                .setName("default")
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(action)
                .build();
    }
}
