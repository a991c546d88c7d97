package io.ambientjava.istiod.translate.envoy;

import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.fabric8.istio.api.api.networking.v1alpha3.TLSMatchAttributes;
import io.fabric8.istio.api.api.networking.v1alpha3.TLSRoute;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A TLS passthrough port of an ingress gateway and the {@code tls} routes of the VirtualServices bound to its
 * servers: one filter chain per route, matching the route's {@code sniHosts} (those the port's server hosts admit)
 * and proxying TCP to its destinations, behind the {@code tls_inspector}. The first route to name an SNI host takes
 * it, as in Istio; a later one is reported.
 */
final class TlsPassthroughRoutes {

    private TlsPassthroughRoutes() {}

    /** The port's listener, or empty (with a warning) when no tls route binds to it. */
    static Optional<Listener> listener(
            int port,
            List<IstioGatewayTranslator.PortHost> serverHosts,
            TranslationScope scope,
            ClusterSet clusters,
            Consumer<String> gatewayWarn) {
        Map<List<String>, Map<String, Integer>> chains = new LinkedHashMap<>();
        Set<String> taken = new HashSet<>();
        for (VirtualServices.Bound vs : scope.virtualServices.all()) {
            String namespace = vs.service().getMetadata().getNamespace();
            Consumer<String> warn = scope.warnTo(vs.resource().key());
            for (TLSRoute route :
                    MeshServices.listOrEmpty(vs.service().getSpec().getTls())) {
                List<String> sniHosts = new ArrayList<>();
                for (TLSMatchAttributes match : MeshServices.listOrEmpty(route.getMatch())) {
                    if (match.getPort() != null && match.getPort() != port) {
                        continue;
                    }
                    for (String sni : MeshServices.listOrEmpty(match.getSniHosts())) {
                        boolean admitted = serverHosts.stream()
                                .anyMatch(h -> VirtualServices.bindsTo(vs, h.gateway())
                                        && (match.getGateways() == null
                                                || match.getGateways().isEmpty()
                                                || GatewayNames.contains(match.getGateways(), h.gateway(), namespace))
                                        && h.host().admits(namespace, sni));
                        if (!admitted) {
                            continue;
                        }
                        if (!taken.add(sni)) {
                            warn.accept("tls route for " + sni + " on port " + port
                                    + " is skipped: an earlier route takes that SNI host");
                            continue;
                        }
                        sniHosts.add(sni);
                    }
                }
                if (sniHosts.isEmpty()) {
                    continue;
                }
                Map<String, Integer> weights =
                        TcpRoutes.weights(MeshServices.listOrEmpty(route.getRoute()), namespace, port, clusters, warn);
                if (weights.isEmpty()) {
                    warn.accept("tls route for " + sniHosts + " on port " + port + " has no destination");
                    continue;
                }
                chains.put(List.copyOf(sniHosts), weights);
            }
        }
        if (chains.isEmpty()) {
            gatewayWarn.accept(
                    "TLS passthrough port " + port
                            + " is not served: no VirtualService tls route with sniHosts this port's servers admit binds to it");
            return Optional.empty();
        }
        return Optional.of(ListenerTranslator.tlsPassthrough(EnvoyNames.gatewayListener(port), port, chains));
    }
}
