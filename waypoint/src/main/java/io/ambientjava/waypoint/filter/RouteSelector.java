package io.ambientjava.waypoint.filter;

import io.ambientjava.waypoint.config.HeaderMatch;
import io.ambientjava.waypoint.config.QueryMatch;
import io.ambientjava.waypoint.config.Route;
import io.ambientjava.waypoint.config.RouteTable;
import io.ambientjava.waypoint.config.VirtualHost;
import java.util.Optional;

/** Envoy's route selection: virtual host by authority, then the first route whose match holds. */
public final class RouteSelector {

    private RouteSelector() {}

    public static Optional<Route> select(RouteTable table, RequestView request) {
        return table.virtualHostFor(request.authority()).flatMap(vh -> firstMatch(vh, request));
    }

    public static Optional<Route> firstMatch(VirtualHost vh, RequestView request) {
        String path = request.path();
        for (Route route : vh.routes()) {
            if (matches(route, request, path)) {
                return Optional.of(route);
            }
        }
        return Optional.empty();
    }

    public static boolean matches(Route route, RequestView request, String path) {
        var match = route.match();
        if (!match.path().matches(path)) {
            return false;
        }
        for (HeaderMatch h : match.headers()) {
            if (!h.matches(request.header(h.name()))) {
                return false;
            }
        }
        for (QueryMatch q : match.queryParameters()) {
            if (!q.matches(request.queryParameter(q.name()))) {
                return false;
            }
        }
        return true;
    }
}
