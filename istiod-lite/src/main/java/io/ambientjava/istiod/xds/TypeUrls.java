package io.ambientjava.istiod.xds;

/** The xDS type URLs served: the workload types ztunnel subscribes to, and the Envoy types waypoints use. */
public final class TypeUrls {

    public static final String ADDRESS = "type.googleapis.com/istio.workload.Address";
    public static final String AUTHORIZATION = "type.googleapis.com/istio.security.Authorization";
    public static final String LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public static final String ROUTE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
    public static final String CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public static final String ENDPOINT = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

    /** In the order a proxy should apply them (clusters before endpoints, listeners before routes). */
    public static final java.util.List<String> ENVOY_TYPES = java.util.List.of(CLUSTER, ENDPOINT, LISTENER, ROUTE);

    private TypeUrls() {}
}
