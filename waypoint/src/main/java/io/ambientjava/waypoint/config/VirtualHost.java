package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Locale;

/**
 * Envoy's {@code VirtualHost}: domains (exact, {@code *}, {@code *.suffix}, {@code prefix.*}) and routes.
 *
 * @param requireTls {@code require_tls: ALL}: a request that did not come over TLS is redirected to https (301), as
 *     Istio configures a Gateway server with {@code tls.httpsRedirect}
 */
public record VirtualHost(String name, List<String> domains, List<Route> routes, boolean requireTls) {

    public VirtualHost {
        domains = domains.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList();
        routes = List.copyOf(routes);
    }

    public VirtualHost(String name, List<String> domains, List<Route> routes) {
        this(name, domains, routes, false);
    }
}
