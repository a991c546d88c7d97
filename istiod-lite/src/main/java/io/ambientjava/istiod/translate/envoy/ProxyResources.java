package io.ambientjava.istiod.translate.envoy;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/** The Envoy resources of one proxy, by resource name. Immutable. */
public record ProxyResources(
        SortedMap<String, Listener> listeners,
        SortedMap<String, RouteConfiguration> routes,
        SortedMap<String, Cluster> clusters,
        SortedMap<String, ClusterLoadAssignment> endpoints) {

    public ProxyResources {
        listeners = Collections.unmodifiableSortedMap(new TreeMap<>(listeners));
        routes = Collections.unmodifiableSortedMap(new TreeMap<>(routes));
        clusters = Collections.unmodifiableSortedMap(new TreeMap<>(clusters));
        endpoints = Collections.unmodifiableSortedMap(new TreeMap<>(endpoints));
    }

    public static ProxyResources empty() {
        return new ProxyResources(new TreeMap<>(), new TreeMap<>(), new TreeMap<>(), new TreeMap<>());
    }

    /** Both proxies' resources together; on a name clash this one's resource stays. */
    ProxyResources plus(ProxyResources other) {
        SortedMap<String, Listener> l = new TreeMap<>(other.listeners);
        l.putAll(listeners);
        SortedMap<String, RouteConfiguration> r = new TreeMap<>(other.routes);
        r.putAll(routes);
        SortedMap<String, Cluster> c = new TreeMap<>(other.clusters);
        c.putAll(clusters);
        SortedMap<String, ClusterLoadAssignment> e = new TreeMap<>(other.endpoints);
        e.putAll(endpoints);
        return new ProxyResources(l, r, c, e);
    }
}
