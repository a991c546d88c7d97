package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.IstioDurations;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.translate.MeshSettings;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.fabric8.istio.api.api.networking.v1alpha3.Subset;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The clusters (and their endpoints) one proxy needs, collected while its routes are built. A cluster exists for
 * every port of a served service (the whole service and each DestinationRule subset) and for every destination a
 * route names. A route to a subset no DestinationRule defines, or to a host that is no known service, still names its
 * cluster, but the cluster is not created: the proxy answers 503 (Envoy's "no cluster", NC), as Istio does.
 */
final class ClusterSet {

    /** Istio's mesh default {@code dnsRefreshRate}; with {@code respect_dns_ttl} a shorter TTL comes first. */
    private static final com.google.protobuf.Duration DNS_REFRESH_RATE =
            com.google.protobuf.Duration.newBuilder().setSeconds(60).build();

    private final MeshServices services;
    private final DestinationRules rules;
    private final MeshSettings settings;
    private final String proxyNamespace;
    private final BiConsumer<ResourceKey, String> warnings;
    private final BackendTlsPolicies backendTls;
    private final Map<String, Cluster> clusters = new TreeMap<>();
    private final Map<String, ClusterLoadAssignment> endpoints = new TreeMap<>();

    ClusterSet(
            MeshServices services,
            DestinationRules rules,
            MeshSettings settings,
            String proxyNamespace,
            BiConsumer<ResourceKey, String> warnings) {
        this.services = services;
        this.rules = rules;
        this.settings = settings;
        this.proxyNamespace = proxyNamespace;
        this.warnings = warnings;
        this.backendTls = new BackendTlsPolicies(services.snapshot(), warnings);
    }

    /** Every cluster of a service: each port, whole and per subset. */
    void addService(MeshServices.MeshService service) {
        Optional<DestinationRules.Effective> rule = rule(service);
        for (MeshServices.MeshPort port : service.ports()) {
            add(service, port, null, rule);
            rule.ifPresent(r -> r.subsets().keySet().stream().sorted().forEach(s -> add(service, port, s, rule)));
        }
    }

    /**
     * The cluster a route destination names, created if it can be. {@code port} may be null: then the service's
     * only port, or else {@code defaultPort}.
     */
    String reference(String hostname, Integer port, String subset, int defaultPort, Consumer<String> warn) {
        String sub = subset == null || subset.isEmpty() ? null : subset;
        Optional<MeshServices.MeshService> service = services.byHostname(hostname);
        if (service.isEmpty()) {
            int number = port != null ? port : defaultPort;
            warn.accept("destination host " + hostname + " is not a known service; requests routed to it get 503");
            return EnvoyNames.cluster(number, sub, hostname);
        }
        MeshServices.MeshService svc = service.get();
        int number;
        if (port != null) {
            number = port;
        } else if (svc.ports().size() == 1) {
            number = svc.ports().getFirst().number();
        } else {
            number = defaultPort;
            if (svc.port(defaultPort).isEmpty()) {
                warn.accept("destination " + hostname + " has several ports and none is named (destination.port);"
                        + " port " + defaultPort + " assumed");
            }
        }
        String name = EnvoyNames.cluster(number, sub, hostname);
        Optional<MeshServices.MeshPort> meshPort = svc.port(number);
        if (meshPort.isEmpty()) {
            warn.accept("service " + hostname + " has no port " + number + "; requests routed to it get 503");
            return name;
        }
        Optional<DestinationRules.Effective> rule = rule(svc);
        if (sub != null && rule.flatMap(r -> r.subset(sub)).isEmpty()) {
            warn.accept("subset '" + sub + "' of " + hostname + " is defined by no DestinationRule; requests routed"
                    + " to it get 503 (no cluster)");
            return name;
        }
        add(svc, meshPort.get(), sub, rule);
        return name;
    }

    /** A host as a route names it, resolved in the route's namespace. */
    String resolve(String host, String namespace) {
        return services.resolve(host, namespace);
    }

    String serviceHostname(String name, String namespace) {
        return settings.serviceHostname(name, namespace);
    }

    /** The traffic policy for a cluster this set holds (or would hold). */
    TrafficPolicies policy(String hostname, int port, String subset) {
        return services.byHostname(hostname)
                .flatMap(this::rule)
                .map(r -> TrafficPolicies.effective(
                        r.trafficPolicy(),
                        subset == null
                                ? null
                                : r.subset(subset).map(Subset::getTrafficPolicy).orElse(null),
                        port))
                .orElse(TrafficPolicies.NONE);
    }

    Map<String, Cluster> clusters() {
        return clusters;
    }

    Map<String, ClusterLoadAssignment> endpoints() {
        return endpoints;
    }

    /**
     * A TCP proxy's settings for a route to {@code weights} (cluster → weight), as Istio builds them: with a single
     * destination, that host's DestinationRule gives the top-level {@code trafficPolicy.connectionPool.tcp}
     * {@code idleTimeout} and {@code maxConnectionDuration}; a split takes none.
     */
    TcpProxy.Builder tcpProxyFor(Map<String, Integer> weights) {
        TcpProxy.Builder proxy = TcpProxy.newBuilder();
        if (weights.size() != 1) {
            return proxy;
        }
        var tcp = services.byHostname(
                        EnvoyNames.hostOfCluster(weights.keySet().iterator().next()))
                .flatMap(this::rule)
                .map(DestinationRules.Effective::trafficPolicy)
                .map(io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy::getConnectionPool)
                .map(io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettings::getTcp);
        tcp.flatMap(t -> IstioDurations.parse(t.getIdleTimeout())).ifPresent(proxy::setIdleTimeout);
        tcp.flatMap(t -> IstioDurations.parse(t.getMaxConnectionDuration()))
                .ifPresent(proxy::setMaxDownstreamConnectionDuration);
        return proxy;
    }

    private Optional<DestinationRules.Effective> rule(MeshServices.MeshService service) {
        return rules.forHost(service.hostname(), service.namespace(), proxyNamespace);
    }

    /** {@code connectionPool.http.h2UpgradePolicy: UPGRADE}: the upstream speaks HTTP/2 even on an HTTP port. */
    private static boolean upgradesToHttp2(TrafficPolicies policy) {
        return policy.connectionPool() != null
                && policy.connectionPool().getHttp() != null
                && policy.connectionPool().getHttp().getH2UpgradePolicy()
                        == io.fabric8.istio.api.api.networking.v1alpha3
                                .ConnectionPoolSettingsHTTPSettingsH2UpgradePolicy.UPGRADE;
    }

    private static boolean usesClientProtocol(TrafficPolicies policy) {
        return policy.connectionPool() != null
                && policy.connectionPool().getHttp() != null
                && Boolean.TRUE.equals(policy.connectionPool().getHttp().getUseClientProtocol());
    }

    /** {@code connectionPool.http.maxConcurrentStreams}, which Istio applies to HTTP/2 upstreams only. */
    private static Optional<Integer> maxConcurrentStreams(TrafficPolicies policy) {
        return Optional.ofNullable(policy.connectionPool())
                .map(io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettings::getHttp)
                .map(
                        io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettingsHTTPSettings
                                ::getMaxConcurrentStreams)
                .filter(streams -> streams > 0);
    }

    private void add(
            MeshServices.MeshService service,
            MeshServices.MeshPort port,
            String subset,
            Optional<DestinationRules.Effective> rule) {
        String name = EnvoyNames.cluster(port.number(), subset, service.hostname());
        if (clusters.containsKey(name)) {
            return;
        }
        Subset definition =
                subset == null ? null : rule.flatMap(r -> r.subset(subset)).orElse(null);
        TrafficPolicies policy = rule.map(r -> TrafficPolicies.effective(
                        r.trafficPolicy(), definition == null ? null : definition.getTrafficPolicy(), port.number()))
                .orElse(TrafficPolicies.NONE);
        Consumer<String> warn = rule.<Consumer<String>>map(r -> message -> warnings.accept(r.source(), message))
                .orElse(message -> {});
        Cluster cluster;
        try {
            cluster = ClusterTranslator.translate(name, policy, warn);
        } catch (IllegalArgumentException e) {
            warn.accept("traffic policy for " + name + " cannot be translated (" + e.getMessage()
                    + "); the cluster uses defaults");
            cluster = ClusterTranslator.translate(name, TrafficPolicies.NONE, warn);
        }
        // useClientProtocol: the upstream speaks whatever the client spoke, which is what a waypoint cluster
        // without HTTP/2 options does
        boolean http2 = !usesClientProtocol(policy) && (port.http2() || upgradesToHttp2(policy));
        Cluster.Builder built = cluster.toBuilder();
        if (http2) {
            var h2 = io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions.newBuilder();
            maxConcurrentStreams(policy)
                    .ifPresent(streams -> h2.setMaxConcurrentStreams(com.google.protobuf.UInt32Value.of(streams)));
            built.setHttp2ProtocolOptions(h2);
        }
        Optional<io.envoyproxy.envoy.config.core.v3.TransportSocket> tls = policy.tls() != null
                ? UpstreamTlsSettings.transportSocket(policy.tls(), proxyNamespace, http2, services.snapshot(), warn)
                : backendTls.forPort(service, port, http2);
        tls.ifPresent(built::setTransportSocket);
        Map<String, String> labels =
                definition == null || definition.getLabels() == null ? Map.of() : definition.getLabels();
        ClusterLoadAssignment assignment =
                EndpointTranslator.translate(name, port, services.backends(service.hostname()), labels, settings);
        if (service.resolvedByProxy()) {
            // As istiod does for a DNS ServiceEntry: the proxy resolves the endpoints' names itself; a LOGICAL_DNS
            // cluster (DNS_ROUND_ROBIN) takes one name, the first.
            boolean logical = service.resolution() == MeshServices.Resolution.DNS_ROUND_ROBIN;
            if (logical
                    && assignment.getEndpointsCount() > 0
                    && assignment.getEndpoints(0).getLbEndpointsCount() > 1) {
                warnings.accept(
                        new ResourceKey(ResourceKind.SERVICE_ENTRY, service.namespace(), service.name()),
                        "resolution DNS_ROUND_ROBIN uses only the first endpoint of " + service.hostname()
                                + " ("
                                + assignment
                                        .getEndpoints(0)
                                        .getLbEndpoints(0)
                                        .getEndpoint()
                                        .getAddress()
                                        .getSocketAddress()
                                        .getAddress()
                                + ")");
                var first = assignment.getEndpoints(0).toBuilder()
                        .clearLbEndpoints()
                        .addLbEndpoints(assignment.getEndpoints(0).getLbEndpoints(0));
                assignment = assignment.toBuilder()
                        .clearEndpoints()
                        .addEndpoints(first)
                        .build();
            }
            built.setType(logical ? Cluster.DiscoveryType.LOGICAL_DNS : Cluster.DiscoveryType.STRICT_DNS)
                    .clearEdsClusterConfig()
                    .setDnsLookupFamily(Cluster.DnsLookupFamily.V4_ONLY)
                    .setDnsRefreshRate(DNS_REFRESH_RATE)
                    .setRespectDnsTtl(true)
                    .setLoadAssignment(assignment);
            clusters.put(name, built.build());
            return;
        }
        clusters.put(name, built.build());
        endpoints.put(name, assignment);
    }
}
