package io.ambientjava.istiod.translate.envoy;

/** Resource and filter names fixed by the waypoint contract (docs/waypoint-xds.md). */
final class EnvoyNames {

    static final String HTTP_CONNECTION_MANAGER = "envoy.filters.network.http_connection_manager";
    static final String TCP_PROXY = "envoy.filters.network.tcp_proxy";
    static final String FAULT_FILTER = "envoy.filters.http.fault";
    static final String CORS_FILTER = "envoy.filters.http.cors";
    static final String ROUTER_FILTER = "envoy.filters.http.router";
    static final String TLS_TRANSPORT_SOCKET = "envoy.transport_sockets.tls";
    static final String TLS_INSPECTOR = "envoy.filters.listener.tls_inspector";
    static final String RBAC_FILTER = "envoy.filters.http.rbac";
    static final String JWT_AUTHN_FILTER = "envoy.filters.http.jwt_authn";
    /** Where each jwt_authn provider puts the verified payload in the filter's dynamic metadata. */
    static final String JWT_PAYLOAD_METADATA_KEY = "payload";
    /** A waypoint's listener, route table and virtual host for traffic addressed to its pods' own IPs. */
    static final String INBOUND_POD = "inbound-pod";
    /** Where workload-addressed requests go: the connection's original destination (an ORIGINAL_DST cluster). */
    static final String INBOUND_POD_PASSTHROUGH = INBOUND_POD + "|passthrough";

    private EnvoyNames() {}

    /** {@code outbound|<port>|<subset>|<hostname>}; the subset is empty for the whole service. */
    /** The hostname in a cluster name {@code outbound|<port>|<subset>|<hostname>}. */
    static String hostOfCluster(String cluster) {
        return cluster.substring(cluster.lastIndexOf('|') + 1);
    }

    static String cluster(int port, String subset, String hostname) {
        return "outbound|" + port + "|" + (subset == null ? "" : subset) + "|" + hostname;
    }

    static String waypointListener(int port, boolean http, String hostname) {
        return "inbound-vip|" + port + "|" + (http ? "http" : "tcp") + "|" + hostname;
    }

    static String waypointRoute(String hostname, int port) {
        return hostname + ":" + port;
    }

    /** {@code inbound-pod|<ip>}: the {@code inbound-pod} filter chain for one pod IP. */
    static String inboundPodChain(String ip) {
        return INBOUND_POD + "|" + ip;
    }

    static String gatewayListener(int port) {
        return "0.0.0.0_" + port;
    }

    static String gatewayRoute(int port) {
        return "http." + port;
    }
}
