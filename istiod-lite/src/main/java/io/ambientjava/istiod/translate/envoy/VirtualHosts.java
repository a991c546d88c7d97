package io.ambientjava.istiod.translate.envoy;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A gateway port's route table built up host by host: one virtual host per hostname ({@code <host>:<port>},
 * domains the host and {@code host:port}, or {@code *}), routes appended in the order they are added.
 */
final class VirtualHosts {

    private final int port;
    private final Map<String, List<Route>> byHost = new LinkedHashMap<>();
    private final Set<String> requiringTls = new HashSet<>();

    VirtualHosts(int port) {
        this.port = port;
    }

    void add(String host, List<Route> routes) {
        byHost.computeIfAbsent(host, h -> new ArrayList<>()).addAll(routes);
    }

    /**
     * Requests for {@code host} that did not come over TLS get a 301 to https; the host gets a virtual host even
     * without routes.
     */
    void requireTls(String host) {
        byHost.computeIfAbsent(host, h -> new ArrayList<>());
        requiringTls.add(host);
    }

    RouteConfiguration build(String name) {
        RouteConfiguration.Builder config = RouteConfiguration.newBuilder().setName(name);
        // Envoy picks the most specific domain itself, so the order of virtual hosts does not matter.
        byHost.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> {
            String host = entry.getKey();
            VirtualHost.Builder vhost = VirtualHost.newBuilder().setName(host + ":" + port);
            if (host.equals("*")) {
                vhost.addDomains("*");
            } else {
                vhost.addDomains(host).addDomains(host + ":" + port);
            }
            if (requiringTls.contains(host)) {
                vhost.setRequireTls(VirtualHost.TlsRequirementType.ALL);
            }
            config.addVirtualHosts(vhost.addAllRoutes(entry.getValue()));
        });
        return config.build();
    }
}
