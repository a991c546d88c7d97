package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Locale;

/** Envoy's {@code VirtualHost}: domains (exact, {@code *}, {@code *.suffix}, {@code prefix.*}) and routes. */
public record VirtualHost(String name, List<String> domains, List<Route> routes) {

    public VirtualHost {
        domains = domains.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList();
        routes = List.copyOf(routes);
    }
}
