package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.ambientjava.istiod.config.IpPrefix;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.util.List;

/**
 * Listeners with one filter chain: an HTTP connection manager reading its routes from ADS (RDS) with the filters
 * (jwt_authn and rbac when policies apply, then) {@code envoy.filters.http.fault}, {@code envoy.filters.http.cors} and
 * {@code envoy.filters.http.router}, as Istio orders them,
 * or a TCP proxy to one cluster; and the waypoint's {@code inbound-pod} listener, one such HTTP chain per pod IP.
 */
final class ListenerTranslator {

    private ListenerTranslator() {}

    static Listener http(String name, String ip, int port, String routeName) {
        return http(name, ip, port, routeName, java.util.List.of());
    }

    /** With {@code securityFilters} (jwt_authn, rbac) first: they decide before fault injection and routing. */
    static Listener http(
            String name, String ip, int port, String routeName, java.util.List<HttpFilter> securityFilters) {
        return listener(name, ip, port, connectionManager(name, routeName, securityFilters));
    }

    /** One chain of {@link #inboundPod}: connections to one pod IP, with the pod's metadata and security filters. */
    record PodChain(String ip, Metadata metadata, List<HttpFilter> securityFilters) {}

    /**
     * The {@code inbound-pod} listener on {@code 0.0.0.0:<port>}, for traffic addressed to pods' own IPs: one filter
     * chain per pod IP, in the order given, taking the connections to that address on any port
     * ({@code prefix_ranges} = the single address, no {@code destination_port}), with the pod's metadata and an HTTP
     * connection manager (stat prefix = the chain's name) reading the {@code inbound-pod} routes.
     */
    static Listener inboundPod(int port, List<PodChain> chains) {
        Listener.Builder listener = Listener.newBuilder()
                .setName(EnvoyNames.INBOUND_POD)
                .setAddress(Address.newBuilder()
                        .setSocketAddress(
                                SocketAddress.newBuilder().setAddress("0.0.0.0").setPortValue(port)));
        for (PodChain chain : chains) {
            String name = EnvoyNames.inboundPodChain(chain.ip());
            int single = IpPrefix.parseAddress(chain.ip())
                    .map(a -> a.getAddress().length * 8)
                    .orElseThrow(() -> new IllegalArgumentException("not an IP: " + chain.ip()));
            listener.addFilterChains(FilterChain.newBuilder()
                    .setName(name)
                    .setFilterChainMatch(FilterChainMatch.newBuilder()
                            .addPrefixRanges(CidrRange.newBuilder()
                                    .setAddressPrefix(chain.ip())
                                    .setPrefixLen(UInt32Value.of(single))))
                    .setMetadata(chain.metadata())
                    .addFilters(connectionManager(name, EnvoyNames.INBOUND_POD, chain.securityFilters())));
        }
        return listener.build();
    }

    private static Filter connectionManager(String statPrefix, String routeName, List<HttpFilter> securityFilters) {
        HttpConnectionManager manager = HttpConnectionManager.newBuilder()
                .setStatPrefix(statPrefix)
                .setCodecType(HttpConnectionManager.CodecType.AUTO)
                .setRds(Rds.newBuilder()
                        .setConfigSource(ClusterTranslator.ads())
                        .setRouteConfigName(routeName))
                .addAllHttpFilters(securityFilters)
                .addHttpFilters(HttpFilter.newBuilder()
                        .setName(EnvoyNames.FAULT_FILTER)
                        .setTypedConfig(Any.pack(HTTPFault.getDefaultInstance())))
                .addHttpFilters(HttpFilter.newBuilder()
                        .setName(EnvoyNames.CORS_FILTER)
                        .setTypedConfig(Any.pack(Cors.getDefaultInstance())))
                .addHttpFilters(HttpFilter.newBuilder()
                        .setName(EnvoyNames.ROUTER_FILTER)
                        .setTypedConfig(Any.pack(Router.getDefaultInstance())))
                .build();
        return Filter.newBuilder()
                .setName(EnvoyNames.HTTP_CONNECTION_MANAGER)
                .setTypedConfig(Any.pack(manager))
                .build();
    }

    static Listener tcp(String name, String ip, int port, String cluster) {
        return tcp(name, ip, port, java.util.Map.of(cluster, 100), TcpProxy.newBuilder());
    }

    /**
     * A TCP proxy to one cluster, or split by weight when given several; {@code settings} carries what else the
     * proxy is given (its timeouts).
     */
    static Listener tcp(
            String name, String ip, int port, java.util.Map<String, Integer> weights, TcpProxy.Builder settings) {
        TcpProxy.Builder builder = settings.setStatPrefix(name);
        if (weights.size() == 1) {
            builder.setCluster(weights.keySet().iterator().next());
        } else {
            TcpProxy.WeightedCluster.Builder split = TcpProxy.WeightedCluster.newBuilder();
            weights.forEach((cluster, weight) -> split.addClusters(TcpProxy.WeightedCluster.ClusterWeight.newBuilder()
                    .setName(cluster)
                    .setWeight(weight)));
            builder.setWeightedClusters(split);
        }
        TcpProxy proxy = builder.build();
        return listener(
                name,
                ip,
                port,
                Filter.newBuilder()
                        .setName(EnvoyNames.TCP_PROXY)
                        .setTypedConfig(Any.pack(proxy))
                        .build());
    }

    /**
     * The listener with TLS termination on its filter chain: {@code envoy.transport_sockets.tls} with the
     * credential's certificate chain and key inline (PEM), offering h2 and http/1.1 by ALPN; with a client CA
     * (mutual TLS) the CA as {@code validation_context.trusted_ca} and {@code require_client_certificate} (false only
     * when a certificate is checked if sent but not asked for).
     */
    static Listener withTls(Listener listener, GatewayCredential credential) {
        var common = io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext.newBuilder()
                .addTlsCertificates(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate.newBuilder()
                        .setCertificateChain(inline(credential.certificateChainPem()))
                        .setPrivateKey(inline(credential.privateKeyPem())))
                .addAlpnProtocols("h2")
                .addAlpnProtocols("http/1.1");
        var tls = io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.newBuilder();
        credential.clientCaPem().ifPresent(ca -> {
            var validation =
                    io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext.newBuilder()
                            .setTrustedCa(inline(ca));
            var checks = credential.clientChecks();
            checks.subjectAltNames().forEach(name -> validation.addAllMatchTypedSubjectAltNames(anyTypeNamed(name)));
            validation.addAllVerifyCertificateHash(checks.certificateHashes());
            validation.addAllVerifyCertificateSpki(checks.spkiHashes());
            checks.revocationList().ifPresent(validation::setCrl);
            common.setValidationContext(validation);
            tls.setRequireClientCertificate(com.google.protobuf.BoolValue.of(credential.clientCertificateRequired()));
        });
        var socket = io.envoyproxy.envoy.config.core.v3.TransportSocket.newBuilder()
                .setName(EnvoyNames.TLS_TRANSPORT_SOCKET)
                .setTypedConfig(Any.pack(tls.setCommonTlsContext(common).build()));
        return listener.toBuilder()
                .setFilterChains(0, listener.getFilterChains(0).toBuilder().setTransportSocket(socket))
                .build();
    }

    /**
     * A certificate name as Istio's {@code subjectAltNames} means it: any name of the certificate equal to it,
     * whatever its type (DNS, URI, email, or an IP address when it is one).
     */
    static List<io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher> anyTypeNamed(
            String name) {
        List<io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher.SanType> types =
                new java.util.ArrayList<>(List.of(
                        io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher.SanType.DNS,
                        io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher.SanType.URI,
                        io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher.SanType.EMAIL));
        if (io.ambientjava.istiod.config.IpPrefix.parseAddress(name).isPresent()) {
            types.add(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher.SanType.IP_ADDRESS);
        }
        return types.stream()
                .map(type -> io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher.newBuilder()
                        .setSanType(type)
                        .setMatcher(io.envoyproxy.envoy.type.matcher.v3.StringMatcher.newBuilder()
                                .setExact(name))
                        .build())
                .toList();
    }

    static io.envoyproxy.envoy.config.core.v3.DataSource inline(String pem) {
        return io.envoyproxy.envoy.config.core.v3.DataSource.newBuilder()
                .setInlineBytes(com.google.protobuf.ByteString.copyFromUtf8(pem))
                .build();
    }

    /**
     * TLS passthrough on {@code 0.0.0.0:<port>}: the {@code tls_inspector} reads the client hello's SNI, and each
     * chain (its {@code server_names}, a TCP proxy to its clusters by weight) takes the names it lists.
     */
    static Listener tlsPassthrough(
            String name, int port, java.util.Map<List<String>, java.util.Map<String, Integer>> chains) {
        Listener.Builder listener = Listener.newBuilder()
                .setName(name)
                .setAddress(Address.newBuilder()
                        .setSocketAddress(
                                SocketAddress.newBuilder().setAddress("0.0.0.0").setPortValue(port)))
                .addListenerFilters(io.envoyproxy.envoy.config.listener.v3.ListenerFilter.newBuilder()
                        .setName(EnvoyNames.TLS_INSPECTOR)
                        .setTypedConfig(Any.pack(io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3
                                .TlsInspector.getDefaultInstance())));
        chains.forEach((serverNames, weights) -> {
            FilterChain.Builder chain =
                    tcp(name, "0.0.0.0", port, weights, TcpProxy.newBuilder()).getFilterChains(0).toBuilder();
            if (!serverNames.isEmpty()) { // none: the default chain, for any other name
                chain.setFilterChainMatch(io.envoyproxy.envoy.config.listener.v3.FilterChainMatch.newBuilder()
                        .addAllServerNames(serverNames));
            }
            listener.addFilterChains(chain);
        });
        return listener.build();
    }

    private static Listener listener(String name, String ip, int port, Filter filter) {
        return Listener.newBuilder()
                .setName(name)
                .setAddress(Address.newBuilder()
                        .setSocketAddress(
                                SocketAddress.newBuilder().setAddress(ip).setPortValue(port)))
                .addFilterChains(FilterChain.newBuilder().addFilters(filter))
                .build();
    }
}
