package io.ambientjava.istiod.translate.envoy;

import io.envoyproxy.envoy.config.route.v3.Route;
import java.util.Comparator;
import java.util.List;

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
