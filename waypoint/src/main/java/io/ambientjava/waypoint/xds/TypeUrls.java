package io.ambientjava.waypoint.xds;

import java.util.List;

/** The Envoy v3 type URLs the waypoint subscribes to, in the order Envoy applies them. */
public final class TypeUrls {

    public static final String CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public static final String ENDPOINT = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    public static final String LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public static final String ROUTE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

    public static final List<String> ALL = List.of(CLUSTER, ENDPOINT, LISTENER, ROUTE);

    private TypeUrls() {}
}
