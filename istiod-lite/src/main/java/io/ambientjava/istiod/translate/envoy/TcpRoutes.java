package io.ambientjava.istiod.translate.envoy;

import io.fabric8.istio.api.api.networking.v1alpha3.L4MatchAttributes;
import io.fabric8.istio.api.api.networking.v1alpha3.RouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.TCPRoute;
import io.fabric8.istio.api.networking.v1.VirtualService;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The {@code tcp} routes of VirtualServices for a TCP port at a waypoint or an ingress gateway's TCP server: the
 * first entry that applies (no match, or a match on this port) decides; its destinations become the TCP proxy's cluster, or weighted clusters.
 * Matches on source labels, namespaces or subnets cannot be evaluated before the connection is proxied and make
 * that match never apply, with a warning.
 */
final class TcpRoutes {

    private TcpRoutes() {}

    /** Cluster name → weight, in order; empty when no entry applies. */
    static Optional<Map<String, Integer>> translate(
            List<VirtualServices.Bound> services, int port, ClusterSet clusters, TranslationScope scope) {
        for (VirtualServices.Bound bound : services) {
            Optional<Map<String, Integer>> weights =
                    firstApplying(bound, port, clusters, scope, gateways -> gateways.contains(GatewayNames.MESH));
            if (weights.isPresent()) {
                return weights;
            }
        }
        return Optional.empty();
    }

    /**
     * The destinations of the first of the VirtualService's {@code tcp} entries that applies on {@code port} and has
     * any.
     *
     * @param here whether a match's non-empty {@code gateways} name the proxy being built
     */
    private static Optional<Map<String, Integer>> firstApplying(
            VirtualServices.Bound bound,
            int port,
            ClusterSet clusters,
            TranslationScope scope,
            java.util.function.Predicate<List<String>> here) {
        VirtualService service = bound.service();
        Consumer<String> warn = scope.warnTo(bound.resource().key());
        String namespace = service.getMetadata().getNamespace();
        for (TCPRoute entry : MeshServices.listOrEmpty(service.getSpec().getTcp())) {
            if (!applies(entry, port, warn, here)) {
                continue;
            }
            Map<String, Integer> weights =
                    weights(MeshServices.listOrEmpty(entry.getRoute()), namespace, port, clusters, warn);
            if (!weights.isEmpty()) {
                return Optional.of(weights);
            }
        }
        return Optional.empty();
    }

    /**
     * A route's destinations as cluster name → weight, in order (a single destination weighs 100; of several, one
     * without a weight weighs nothing). Used by {@code tcp} and {@code tls} routes alike.
     */
    static Map<String, Integer> weights(
            List<RouteDestination> destinations,
            String namespace,
            int port,
            ClusterSet clusters,
            Consumer<String> warn) {
        Map<String, Integer> weights = new LinkedHashMap<>();
        for (RouteDestination destination : destinations) {
            if (destination.getDestination() == null) {
                continue;
            }
            int weight = destinations.size() == 1 || destination.getWeight() == null
                    ? (destinations.size() == 1 ? 100 : 0)
                    : destination.getWeight();
            if (weight <= 0) {
                continue;
            }
            var target = destination.getDestination();
            Integer targetPort = target.getPort() == null || target.getPort().getNumber() == null
                    ? null
                    : target.getPort().getNumber().intValue();
            String host = clusters.resolve(target.getHost(), namespace);
            weights.merge(clusters.reference(host, targetPort, target.getSubset(), port, warn), weight, Integer::sum);
        }
        return weights;
    }

    /**
     * For a TCP server of an ingress gateway on {@code port}: the first {@code tcp} entry, of the VirtualServices
     * bound to one of the servers' Gateways with a host the server admits, whose match applies there (no match, or
     * one on this port naming no gateway or one of these).
     */
    static Optional<Map<String, Integer>> forGateway(
            int port, List<IstioGatewayTranslator.PortHost> serverHosts, TranslationScope scope, ClusterSet clusters) {
        for (VirtualServices.Bound bound : scope.virtualServices.all()) {
            String namespace = bound.service().getMetadata().getNamespace();
            List<String> gateways = serverHosts.stream()
                    .filter(h -> VirtualServices.bindsTo(bound, h.gateway())
                            && bound.hosts().stream().anyMatch(host -> h.host().admits(namespace, host)))
                    .map(IstioGatewayTranslator.PortHost::gateway)
                    .distinct()
                    .toList();
            if (gateways.isEmpty()) {
                continue;
            }
            Optional<Map<String, Integer>> weights = firstApplying(
                    bound,
                    port,
                    clusters,
                    scope,
                    named -> gateways.stream().anyMatch(g -> GatewayNames.contains(named, g, namespace)));
            if (weights.isPresent()) {
                return weights;
            }
        }
        return Optional.empty();
    }

    /** @param here whether a match's non-empty {@code gateways} name the proxy being built */
    private static boolean applies(
            TCPRoute entry, int port, Consumer<String> warn, java.util.function.Predicate<List<String>> here) {
        List<L4MatchAttributes> matches = MeshServices.listOrEmpty(entry.getMatch());
        if (matches.isEmpty()) {
            return true;
        }
        for (L4MatchAttributes match : matches) {
            boolean sourceBased =
                    (match.getSourceLabels() != null && !match.getSourceLabels().isEmpty())
                            || match.getSourceNamespace() != null
                            || match.getSourceSubnet() != null
                            || (match.getDestinationSubnets() != null
                                    && !match.getDestinationSubnets().isEmpty());
            if (sourceBased) {
                warn.accept("tcp match on source labels, namespace or subnets cannot be evaluated by the proxy;"
                        + " this match never applies");
                continue;
            }
            if (match.getGateways() != null && !match.getGateways().isEmpty() && !here.test(match.getGateways())) {
                continue;
            }
            if (match.getPort() == null || match.getPort() == port) {
                return true;
            }
        }
        return false;
    }
}
