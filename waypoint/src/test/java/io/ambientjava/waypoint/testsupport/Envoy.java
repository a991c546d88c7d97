package io.ambientjava.waypoint.testsupport;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/** Builds Envoy resources the way the contract (docs/waypoint-xds.md) describes them. */
public final class Envoy {

    private Envoy() {}

    public static Listener httpListener(String vip, int port, String hostname) {
        HttpConnectionManager hcm = connectionManager("inbound", hostname + ":" + port);
        return Listener.newBuilder()
                .setName("inbound-vip|" + port + "|http|" + hostname)
                .setAddress(address(vip, port))
                .addFilterChains(FilterChain.newBuilder()
                        .addFilters(Filter.newBuilder()
                                .setName("envoy.filters.network.http_connection_manager")
                                .setTypedConfig(Any.pack(hcm))))
                .build();
    }

    /** An HTTP connection manager as the contract has it: routes from ADS, {@code first} filters, fault, router. */
    private static HttpConnectionManager connectionManager(String statPrefix, String routeName, HttpFilter... first) {
        return HttpConnectionManager.newBuilder()
                .setStatPrefix(statPrefix)
                .setRds(Rds.newBuilder()
                        .setRouteConfigName(routeName)
                        .setConfigSource(ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())))
                .addAllHttpFilters(List.of(first))
                .addHttpFilters(HttpFilter.newBuilder()
                        .setName("envoy.filters.http.fault")
                        .setTypedConfig(Any.pack(HTTPFault.getDefaultInstance())))
                .addHttpFilters(HttpFilter.newBuilder()
                        .setName("envoy.filters.http.router")
                        .setTypedConfig(Any.pack(Router.getDefaultInstance())))
                .build();
    }

    /** The chain of a pod's own address on istiod-lite's {@code inbound-pod} listener, with these HTTP filters first. */
    public static FilterChain workloadChain(String ip, String identity, HttpFilter... securityFilters) {
        HttpConnectionManager hcm = connectionManager("inbound-pod|" + ip, "inbound-pod", securityFilters);
        return FilterChain.newBuilder()
                .setName("inbound-pod|" + ip)
                .setFilterChainMatch(io.envoyproxy.envoy.config.listener.v3.FilterChainMatch.newBuilder()
                        .addPrefixRanges(io.envoyproxy.envoy.config.core.v3.CidrRange.newBuilder()
                                .setAddressPrefix(ip)
                                .setPrefixLen(u32(ip.contains(":") ? 128 : 32))))
                .setMetadata(Metadata.newBuilder()
                        .putFilterMetadata(
                                "istio",
                                Struct.newBuilder()
                                        .putFields(
                                                "workload",
                                                Value.newBuilder()
                                                        .setStringValue("reviews-v1-pod;default;reviews;v1;Kubernetes")
                                                        .build())
                                        .build())
                        .putFilterMetadata(
                                "ambient",
                                Struct.newBuilder()
                                        .putFields(
                                                "hbone",
                                                Value.newBuilder()
                                                        .setBoolValue(true)
                                                        .build())
                                        .putFields(
                                                "identity",
                                                Value.newBuilder()
                                                        .setStringValue(identity)
                                                        .build())
                                        .build()))
                .addFilters(Filter.newBuilder()
                        .setName("envoy.filters.network.http_connection_manager")
                        .setTypedConfig(Any.pack(hcm)))
                .build();
    }

    /** istiod-lite's listener for workload-addressed traffic: one chain per pod address. */
    public static Listener workloadListener(FilterChain... chains) {
        return Listener.newBuilder()
                .setName("inbound-pod")
                .setAddress(address("0.0.0.0", 15008))
                .addAllFilterChains(List.of(chains))
                .build();
    }

    /** The route every pod chain uses: everything to the pod the client connected to. */
    public static RouteConfiguration workloadRoutes() {
        return routes(
                "inbound-pod",
                List.of(prefixRoute("/", "inbound-pod|passthrough").build()));
    }

    public static Cluster originalDestinationCluster() {
        return Cluster.newBuilder()
                .setName("inbound-pod|passthrough")
                .setType(Cluster.DiscoveryType.ORIGINAL_DST)
                .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
                .setConnectTimeout(seconds(10))
                .build();
    }

    /** A TCP listener splitting connections over {@code weights} (cluster → weight). */
    public static Listener weightedTcpListener(String vip, int port, String hostname, Map<String, Integer> weights) {
        TcpProxy.WeightedCluster.Builder split = TcpProxy.WeightedCluster.newBuilder();
        weights.forEach((cluster, weight) -> split.addClusters(TcpProxy.WeightedCluster.ClusterWeight.newBuilder()
                .setName(cluster)
                .setWeight(weight)));
        Listener plain = tcpListener(vip, port, hostname);
        return plain.toBuilder()
                .setFilterChains(
                        0,
                        FilterChain.newBuilder()
                                .addFilters(Filter.newBuilder()
                                        .setName("envoy.filters.network.tcp_proxy")
                                        .setTypedConfig(Any.pack(TcpProxy.newBuilder()
                                                .setStatPrefix("tcp")
                                                .setWeightedClusters(split)
                                                .build()))))
                .build();
    }

    public static Listener tcpListener(String vip, int port, String hostname) {
        return Listener.newBuilder()
                .setName("inbound-vip|" + port + "|tcp|" + hostname)
                .setAddress(address(vip, port))
                .addFilterChains(FilterChain.newBuilder()
                        .addFilters(Filter.newBuilder()
                                .setName("envoy.filters.network.tcp_proxy")
                                .setTypedConfig(Any.pack(TcpProxy.newBuilder()
                                        .setStatPrefix("tcp")
                                        .setCluster(cluster(port, "", hostname))
                                        .build()))))
                .build();
    }

    public static String cluster(int port, String subset, String hostname) {
        return "outbound|" + port + "|" + subset + "|" + hostname;
    }

    public static Address address(String ip, int port) {
        return Address.newBuilder()
                .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
                .build();
    }

    public static RouteConfiguration routes(String name, List<Route> routes) {
        return RouteConfiguration.newBuilder()
                .setName(name)
                .addVirtualHosts(
                        VirtualHost.newBuilder().setName(name).addDomains("*").addAllRoutes(routes))
                .build();
    }

    public static Route.Builder prefixRoute(String prefix, String cluster) {
        return Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix(prefix))
                .setRoute(RouteAction.newBuilder().setCluster(cluster).setTimeout(seconds(0)));
    }

    public static Duration seconds(long s) {
        return Duration.newBuilder().setSeconds(s).build();
    }

    public static Duration millis(long ms) {
        return Duration.newBuilder()
                .setSeconds(ms / 1000)
                .setNanos((int) (ms % 1000) * 1_000_000)
                .build();
    }

    public static Cluster.Builder edsCluster(String name) {
        return Cluster.newBuilder()
                .setName(name)
                .setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
                        .setEdsConfig(ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())))
                .setConnectTimeout(seconds(2));
    }

    /**
     * A STRICT_DNS or LOGICAL_DNS cluster as istiod sends one for a DNS ServiceEntry: {@code V4_ONLY}, and an inline
     * {@code load_assignment} with one endpoint per {@code host:port} target ({@code hbone: false}).
     */
    public static Cluster.Builder dnsCluster(String name, Cluster.DiscoveryType type, String... targets) {
        var locality = LocalityLbEndpoints.newBuilder();
        for (String target : targets) {
            int colon = target.lastIndexOf(':');
            locality.addLbEndpoints(LbEndpoint.newBuilder()
                    .setEndpoint(io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                            .setAddress(
                                    address(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)))))
                    .setHealthStatus(io.envoyproxy.envoy.config.core.v3.HealthStatus.HEALTHY)
                    .setMetadata(Metadata.newBuilder()
                            .putFilterMetadata(
                                    "istio",
                                    Struct.newBuilder()
                                            .putFields(
                                                    "workload",
                                                    Value.newBuilder()
                                                            .setStringValue(
                                                                    "external;egress;external;latest;Kubernetes")
                                                            .build())
                                            .build())
                            .putFilterMetadata(
                                    "ambient",
                                    Struct.newBuilder()
                                            .putFields(
                                                    "hbone",
                                                    Value.newBuilder()
                                                            .setBoolValue(false)
                                                            .build())
                                            .build())));
        }
        return Cluster.newBuilder()
                .setName(name)
                .setType(type)
                .setConnectTimeout(seconds(2))
                .setDnsLookupFamily(Cluster.DnsLookupFamily.V4_ONLY)
                .setLoadAssignment(
                        ClusterLoadAssignment.newBuilder().setClusterName(name).addEndpoints(locality));
    }

    /** Plain TCP endpoints ({@code hbone: false}). */
    public static ClusterLoadAssignment plainEndpoints(String cluster, List<InetSocketAddress> addresses) {
        var locality = LocalityLbEndpoints.newBuilder();
        for (InetSocketAddress a : addresses) {
            locality.addLbEndpoints(LbEndpoint.newBuilder()
                    .setEndpoint(io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                            .setAddress(address(a.getAddress().getHostAddress(), a.getPort())))
                    .setMetadata(Metadata.newBuilder()
                            .putFilterMetadata(
                                    "istio",
                                    Struct.newBuilder()
                                            .putFields(
                                                    "workload",
                                                    Value.newBuilder()
                                                            .setStringValue(
                                                                    "pod-" + a.getPort() + ";default;app;v1;Kubernetes")
                                                            .build())
                                            .build())
                            .putFilterMetadata(
                                    "ambient",
                                    Struct.newBuilder()
                                            .putFields(
                                                    "hbone",
                                                    Value.newBuilder()
                                                            .setBoolValue(false)
                                                            .build())
                                            .build())));
        }
        return ClusterLoadAssignment.newBuilder()
                .setClusterName(cluster)
                .addEndpoints(locality)
                .build();
    }

    /** HBONE endpoints with an identity. */
    public static ClusterLoadAssignment hboneEndpoints(String cluster, InetSocketAddress target, String identity) {
        return ClusterLoadAssignment.newBuilder()
                .setClusterName(cluster)
                .addEndpoints(LocalityLbEndpoints.newBuilder()
                        .addLbEndpoints(LbEndpoint.newBuilder()
                                .setEndpoint(io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                                        .setAddress(address(target.getAddress().getHostAddress(), target.getPort())))
                                .setMetadata(Metadata.newBuilder()
                                        .putFilterMetadata(
                                                "ambient",
                                                Struct.newBuilder()
                                                        .putFields(
                                                                "hbone",
                                                                Value.newBuilder()
                                                                        .setBoolValue(true)
                                                                        .build())
                                                        .putFields(
                                                                "identity",
                                                                Value.newBuilder()
                                                                        .setStringValue(identity)
                                                                        .build())
                                                        .build()))))
                .build();
    }

    public static UInt32Value u32(int v) {
        return UInt32Value.of(v);
    }

    public static BoolValue bool(boolean v) {
        return BoolValue.of(v);
    }
}
