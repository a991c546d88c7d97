package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An Envoy route from a Gateway API rule, with what decides its place among the routes of one host: the kind of
 * path match (2 exact, 1 prefix, 0 regular expression, -1 none: the rule has no matches), the length of its path, whether it matches a method, and
 * how many headers and query parameters it matches. A GRPCRoute's service and method are a path too
 * ({@code /service/method}), so both kinds of route share one order, as Istio merges them.
 */
record RankedRoute(Route route, int pathKind, int pathLength, boolean method, int headers, int queries) {

    static final int NO_MATCH = -1;
    static final int REGEX = 0;
    static final int PREFIX = 1;
    static final int EXACT = 2;

    /** One rule's routes (rule {@code name} is {@code <namespace>/<route>#<index>}). */
    interface RuleRoutes<U> {
        /** @throws IllegalArgumentException for a rule that cannot be translated */
        List<RankedRoute> of(U rule, String name, RouteBackends backends, Consumer<String> warn);
    }

    /**
     * The routes of every rule of {@code routes} (of one kind, {@code kind}), not yet in precedence order; a rule that
     * cannot be translated is left out with a warning to its route, the others stay.
     */
    static <R extends HasMetadata, U> List<RankedRoute> ofRules(
            List<R> routes,
            Function<R, List<U>> rules,
            String kind,
            int port,
            ClusterSet clusters,
            ConfigSnapshot snapshot,
            Function<R, Consumer<String>> warnings,
            RuleRoutes<U> translate) {
        List<RankedRoute> ranked = new ArrayList<>();
        for (R route : routes) {
            Consumer<String> warn = warnings.apply(route);
            String namespace = route.getMetadata().getNamespace();
            RouteBackends backends = new RouteBackends(kind, namespace, port, clusters, snapshot, warn);
            List<U> ofRoute = rules.apply(route);
            for (int i = 0; i < ofRoute.size(); i++) {
                String name = namespace + "/" + route.getMetadata().getName() + "#" + i;
                try {
                    ranked.addAll(translate.of(ofRoute.get(i), name, backends, warn));
                } catch (IllegalArgumentException e) {
                    warn.accept("rule " + i + " cannot be translated (" + e.getMessage() + "); left out");
                }
            }
        }
        return ranked;
    }

    /**
     * Gateway API precedence: exact path, then the longer path, then a method match, more headers, more query
     * parameters; ties keep route and rule order (the sort is stable).
     */
    static List<Route> inPrecedence(List<RankedRoute> ranked) {
        return ranked.stream()
                .sorted(Comparator.comparingInt((RankedRoute r) -> -r.pathKind())
                        .thenComparingInt(r -> -r.pathLength())
                        .thenComparing(r -> !r.method())
                        .thenComparingInt(r -> -r.headers())
                        .thenComparingInt(r -> -r.queries()))
                .map(RankedRoute::route)
                .toList();
    }
}
