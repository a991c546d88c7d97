package io.ambientjava.waypoint.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.waypoint.testsupport.Envoy;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.route.v3.CorsPolicy;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TranslatorTest {

    @Test
    void contractListenerTranslates() {
        ListenerConfig l = ListenerTranslator.translate(
                Envoy.httpListener("198.19.0.10", 80, "reviews.default.svc.cluster.local"));
        assertThat(l.address()).isEqualTo("198.19.0.10");
        assertThat(l.port()).isEqualTo(80);
        var http = (ListenerConfig.Http) l.kind();
        assertThat(http.routeConfigName()).isEqualTo("reviews.default.svc.cluster.local:80");
        assertThat(http.httpFilters()).containsExactly("envoy.filters.http.fault", "envoy.filters.http.router");
        assertThat(http.fallbackCluster()).contains("outbound|80||reviews.default.svc.cluster.local");
    }

    @Test
    void tcpListenerTranslates() {
        ListenerConfig l = ListenerTranslator.translate(Envoy.tcpListener("198.19.0.10", 9000, "db"));
        assertThat(l.kind()).isEqualTo(new ListenerConfig.Tcp("outbound|9000||db"));
    }

    @Test
    void weightedTcpClustersTranslateAndAZeroWeightIsRefusedByField() {
        var weights = new java.util.LinkedHashMap<String, Integer>();
        weights.put("outbound|9000|v1|db", 80);
        weights.put("outbound|9000|v2|db", 20);
        ListenerConfig l = ListenerTranslator.translate(Envoy.weightedTcpListener("198.19.0.10", 9000, "db", weights));
        var tcp = (ListenerConfig.Tcp) l.kind();
        assertThat(tcp.totalWeight()).isEqualTo(100);
        assertThat(tcp.pick(0)).isEqualTo("outbound|9000|v1|db");
        assertThat(tcp.pick(79)).isEqualTo("outbound|9000|v1|db");
        assertThat(tcp.pick(80)).isEqualTo("outbound|9000|v2|db");
        assertThat(tcp.pick(99)).isEqualTo("outbound|9000|v2|db");
        weights.put("outbound|9000|v2|db", 0);
        assertThatThrownBy(() ->
                        ListenerTranslator.translate(Envoy.weightedTcpListener("198.19.0.10", 9000, "db", weights)))
                .hasMessageContaining("weighted_clusters.clusters[1].weight");
    }

    private static io.envoyproxy.envoy.config.listener.v3.Listener tcpListenerWith(
            java.util.function.UnaryOperator<
                            io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.Builder>
                    settings)
            throws Exception {
        var plain = Envoy.tcpListener("198.19.0.10", 9000, "db");
        var proxy = plain.getFilterChains(0)
                .getFilters(0)
                .getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.class);
        var listener = plain.toBuilder();
        listener.getFilterChainsBuilder(0)
                .getFiltersBuilder(0)
                .setTypedConfig(com.google.protobuf.Any.pack(
                        settings.apply(proxy.toBuilder()).build()));
        return listener.build();
    }

    @Test
    void tcpProxyTimeoutsTranslateWithEnvoysDefaults() throws Exception {
        var plain = (ListenerConfig.Tcp)
                ListenerTranslator.translate(tcpListenerWith(p -> p)).kind();
        assertThat(plain.idleTimeout()).contains(Duration.ofHours(1));
        assertThat(plain.maxConnectionDuration()).isEmpty();

        var set = (ListenerConfig.Tcp) ListenerTranslator.translate(tcpListenerWith(p -> p.setIdleTimeout(
                                com.google.protobuf.Duration.newBuilder().setSeconds(90))
                        .setMaxDownstreamConnectionDuration(
                                com.google.protobuf.Duration.newBuilder().setSeconds(3600))))
                .kind();
        assertThat(set.idleTimeout()).contains(Duration.ofSeconds(90));
        assertThat(set.maxConnectionDuration()).contains(Duration.ofHours(1));

        var disabled = (ListenerConfig.Tcp) ListenerTranslator.translate(
                        tcpListenerWith(p -> p.setIdleTimeout(com.google.protobuf.Duration.getDefaultInstance())))
                .kind();
        assertThat(disabled.idleTimeout()).as("0s disables the idle timeout").isEmpty();
    }

    @Test
    void badTcpProxyTimeoutsAreRefusedByField() {
        assertThatThrownBy(() -> ListenerTranslator.translate(tcpListenerWith(p -> p.setIdleTimeout(
                        com.google.protobuf.Duration.newBuilder().setSeconds(-5)))))
                .hasMessageContaining("idle_timeout")
                .hasMessageContaining("negative");
        assertThatThrownBy(() -> ListenerTranslator.translate(tcpListenerWith(p -> p.setMaxDownstreamConnectionDuration(
                        com.google.protobuf.Duration.newBuilder().setNanos(500_000)))))
                .hasMessageContaining("max_downstream_connection_duration")
                .hasMessageContaining("at least 1ms");
        assertThatThrownBy(() -> ListenerTranslator.translate(tcpListenerWith(p -> p.setAccessLogFlushInterval(
                        com.google.protobuf.Duration.newBuilder().setSeconds(1)))))
                .hasMessageContaining("access_log_flush_interval");
    }

    @Test
    void slowStartOfRoundRobinAndLeastRequestClustersTranslatesWithEnvoysDefaults() {
        var window = com.google.protobuf.Duration.newBuilder().setSeconds(120);
        var rr = ClusterTranslator.translate(Envoy.edsCluster("c")
                .setRoundRobinLbConfig(Cluster.RoundRobinLbConfig.newBuilder()
                        .setSlowStartConfig(Cluster.SlowStartConfig.newBuilder().setSlowStartWindow(window)))
                .build());
        assertThat(rr.slowStart()).contains(new SlowStart(Duration.ofMinutes(2), 1.0, 0.1));
        var lr = ClusterTranslator.translate(Envoy.edsCluster("c")
                .setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST)
                .setLeastRequestLbConfig(Cluster.LeastRequestLbConfig.newBuilder()
                        .setSlowStartConfig(Cluster.SlowStartConfig.newBuilder()
                                .setSlowStartWindow(window)
                                .setAggression(io.envoyproxy.envoy.config.core.v3.RuntimeDouble.newBuilder()
                                        .setDefaultValue(2.0))
                                .setMinWeightPercent(io.envoyproxy.envoy.type.v3.Percent.newBuilder()
                                        .setValue(25))))
                .build());
        assertThat(lr.slowStart()).contains(new SlowStart(Duration.ofMinutes(2), 2.0, 0.25));
        assertThat(ClusterTranslator.translate(Envoy.edsCluster("c").build()).slowStart())
                .isEmpty();
    }

    @Test
    void badSlowStartConfigIsRefusedByField() {
        var window = com.google.protobuf.Duration.newBuilder().setSeconds(120);
        assertThatThrownBy(() -> ClusterTranslator.translate(Envoy.edsCluster("c")
                        .setLbPolicy(Cluster.LbPolicy.RANDOM)
                        .setRoundRobinLbConfig(Cluster.RoundRobinLbConfig.newBuilder()
                                .setSlowStartConfig(
                                        Cluster.SlowStartConfig.newBuilder().setSlowStartWindow(window)))
                        .build()))
                .hasMessageContaining("round_robin_lb_config")
                .hasMessageContaining("RANDOM");
        assertThatThrownBy(() -> ClusterTranslator.translate(Envoy.edsCluster("c")
                        .setRoundRobinLbConfig(Cluster.RoundRobinLbConfig.newBuilder()
                                .setSlowStartConfig(Cluster.SlowStartConfig.newBuilder()
                                        .setSlowStartWindow(window)
                                        .setAggression(io.envoyproxy.envoy.config.core.v3.RuntimeDouble.newBuilder()
                                                .setDefaultValue(0))))
                        .build()))
                .hasMessageContaining("slow_start_config.aggression");
        assertThatThrownBy(() -> ClusterTranslator.translate(Envoy.edsCluster("c")
                        .setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST)
                        .setLeastRequestLbConfig(Cluster.LeastRequestLbConfig.newBuilder()
                                .setChoiceCount(com.google.protobuf.UInt32Value.of(3)))
                        .build()))
                .hasMessageContaining("least_request_lb_config.choice_count");
    }

    @Test
    void unsupportedListenerFieldIsNamed() {
        var listener = Envoy.httpListener("198.19.0.10", 80, "h").toBuilder()
                .setPerConnectionBufferLimitBytes(com.google.protobuf.UInt32Value.of(5))
                .build();
        assertThatThrownBy(() -> ListenerTranslator.translate(listener))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("per_connection_buffer_limit_bytes");
    }

    @Test
    void unsupportedRouteFieldIsNamedWithItsPath() {
        var rc = Envoy.routes("r", List.of(Envoy.prefixRoute("/", "c").build())).toBuilder();
        rc.setVirtualHosts(
                0,
                rc.getVirtualHosts(0).toBuilder()
                        .setCors(CorsPolicy.getDefaultInstance().toBuilder().setAllowMethods("GET")));
        assertThatThrownBy(() -> RouteTranslator.translate(rc.build())).hasMessageContaining("virtual_hosts[0].cors");
        var rc2 = Envoy.routes(
                "r",
                List.of(Envoy.prefixRoute("/", "c")
                        .setRoute(io.envoyproxy.envoy.config.route.v3.RouteAction.newBuilder()
                                .setCluster("c")
                                .setIdleTimeout(Envoy.seconds(3)))
                        .build()));
        assertThatThrownBy(() -> RouteTranslator.translate(rc2)).hasMessageContaining("routes[0].route.idle_timeout");
    }

    @Test
    void requireTlsAllIsTakenAndExternalOnlyRefusedByField() {
        var rc = Envoy.routes("r", List.of(Envoy.prefixRoute("/", "c").build())).toBuilder();
        var all = rc.clone();
        all.setVirtualHosts(
                0,
                all.getVirtualHosts(0).toBuilder()
                        .setRequireTls(io.envoyproxy.envoy.config.route.v3.VirtualHost.TlsRequirementType.ALL));
        assertThat(RouteTranslator.translate(all.build()).virtualHosts().get(0).requireTls())
                .isTrue();
        assertThat(RouteTranslator.translate(rc.build()).virtualHosts().get(0).requireTls())
                .isFalse();
        var external = rc.clone();
        external.setVirtualHosts(
                0,
                external.getVirtualHosts(0).toBuilder()
                        .setRequireTls(
                                io.envoyproxy.envoy.config.route.v3.VirtualHost.TlsRequirementType.EXTERNAL_ONLY));
        assertThatThrownBy(() -> RouteTranslator.translate(external.build()))
                .hasMessageContaining("virtual_hosts[0].require_tls")
                .hasMessageContaining("EXTERNAL_ONLY");
    }

    @Test
    void chainsThatDifferInMoreThanServerNamesAndCertificateAreRefusedByField() {
        var plain = Envoy.httpListener("0.0.0.0", 443, "h");
        var untlsd = plain.toBuilder()
                .addFilterChains(plain.getFilterChains(0).toBuilder()
                        .setFilterChainMatch(io.envoyproxy.envoy.config.listener.v3.FilterChainMatch.newBuilder()
                                .addServerNames("b.example")))
                .build();
        assertThatThrownBy(() -> ListenerTranslator.translate(untlsd))
                .hasMessageContaining("filter_chains[0].transport_socket")
                .hasMessageContaining("must terminate TLS");
        var otherMatch = plain.toBuilder()
                .setFilterChains(
                        0,
                        plain.getFilterChains(0).toBuilder()
                                .setFilterChainMatch(
                                        io.envoyproxy.envoy.config.listener.v3.FilterChainMatch.newBuilder()
                                                .addApplicationProtocols("h2")))
                .build();
        assertThatThrownBy(() -> ListenerTranslator.translate(otherMatch))
                .hasMessageContaining("filter_chains[0].filter_chain_match")
                .hasMessageContaining("application_protocols");
    }

    @Test
    void badRegexIsRefusedWithThePattern() {
        var route = Envoy.prefixRoute("/", "c")
                .setMatch(RouteMatch.newBuilder()
                        .setSafeRegex(RegexMatcher.newBuilder().setRegex("(unclosed")))
                .build();
        assertThatThrownBy(() -> RouteTranslator.translate(Envoy.routes("r", List.of(route))))
                .hasMessageContaining("(unclosed")
                .hasMessageContaining("safe_regex");
    }

    @Test
    void routeDefaultsFollowEnvoy() {
        var route = io.envoyproxy.envoy.config.route.v3.Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(io.envoyproxy.envoy.config.route.v3.RouteAction.newBuilder()
                        .setCluster("c")
                        .setRetryPolicy(io.envoyproxy.envoy.config.route.v3.RetryPolicy.newBuilder()
                                .setRetryOn("5xx,connect-failure")))
                .addRequestHeadersToAdd(io.envoyproxy.envoy.config.core.v3.HeaderValueOption.newBuilder()
                        .setHeader(io.envoyproxy.envoy.config.core.v3.HeaderValue.newBuilder()
                                .setKey("X-A")
                                .setValue("1")))
                .build();
        RouteTable t = RouteTranslator.translate(Envoy.routes("r", List.of(route)));
        var forward =
                (RouteAction.Forward) t.virtualHosts().get(0).routes().get(0).action();
        assertThat(forward.timeout()).contains(Duration.ofSeconds(15));
        assertThat(forward.retry().orElseThrow().numRetries()).isEqualTo(1);
        assertThat(forward.retry().orElseThrow().baseInterval()).isEqualTo(Duration.ofMillis(25));
        assertThat(t.virtualHosts()
                        .get(0)
                        .routes()
                        .get(0)
                        .requestHeaders()
                        .add()
                        .get(0)
                        .name())
                .isEqualTo("x-a");
    }

    @Test
    void unknownRetryConditionIsRefused() {
        var route = io.envoyproxy.envoy.config.route.v3.Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(io.envoyproxy.envoy.config.route.v3.RouteAction.newBuilder()
                        .setCluster("c")
                        .setRetryPolicy(io.envoyproxy.envoy.config.route.v3.RetryPolicy.newBuilder()
                                .setRetryOn("5xx,envoy-ratelimited")))
                .build();
        assertThatThrownBy(() -> RouteTranslator.translate(Envoy.routes("r", List.of(route))))
                .hasMessageContaining("envoy-ratelimited");
    }

    @Test
    void istiosDefaultRetryPolicyWithGrpcConditionsIsAccepted() {
        var route = io.envoyproxy.envoy.config.route.v3.Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(io.envoyproxy.envoy.config.route.v3.RouteAction.newBuilder()
                        .setCluster("c")
                        .setRetryPolicy(io.envoyproxy.envoy.config.route.v3.RetryPolicy.newBuilder()
                                .setRetryOn(
                                        "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes")
                                .addRetriableStatusCodes(503)))
                .build();
        var translated = RouteTranslator.translate(Envoy.routes("r", List.of(route)));
        assertThat(translated).isNotNull();
    }

    @Test
    void headerMatchersTranslate() {
        HeaderMatch presence = MatcherTranslator.header(
                HeaderMatcher.newBuilder()
                        .setName("X-Present")
                        .setPresentMatch(true)
                        .build(),
                "h");
        assertThat(presence.matches(Optional.of("v"))).isTrue();
        assertThat(presence.matches(Optional.empty())).isFalse();
        HeaderMatch inverted = MatcherTranslator.header(
                HeaderMatcher.newBuilder()
                        .setName("x")
                        .setPrefixMatch("ab")
                        .setInvertMatch(true)
                        .build(),
                "h");
        assertThat(inverted.matches(Optional.of("abc"))).isFalse();
        assertThat(inverted.matches(Optional.of("xbc"))).isTrue();
        assertThat(inverted.matches(Optional.empty())).isTrue();
    }

    @Test
    void clusterWithLimitsAndOutlierDetection() {
        Cluster c = Envoy.edsCluster("outbound|80||r")
                .setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST)
                .setCircuitBreakers(CircuitBreakers.newBuilder()
                        .addThresholds(CircuitBreakers.Thresholds.newBuilder()
                                .setMaxConnections(Envoy.u32(1))
                                .setMaxPendingRequests(Envoy.u32(2))))
                .setOutlierDetection(OutlierDetection.newBuilder()
                        .setConsecutive5Xx(Envoy.u32(3))
                        .setMaxEjectionPercent(Envoy.u32(50)))
                .build();
        ClusterConfig config = ClusterTranslator.translate(c);
        assertThat(config.lbPolicy()).isEqualTo(LbPolicy.LEAST_REQUEST);
        assertThat(config.limits().maxConnections()).isEqualTo(1);
        assertThat(config.limits().maxPendingRequests()).isEqualTo(2);
        assertThat(config.limits().maxRequests()).isEqualTo(1024);
        assertThat(config.outlierDetection().orElseThrow().consecutive5xx()).isEqualTo(3);
        assertThat(config.outlierDetection().orElseThrow().baseEjectionTime()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void staticClusterIsRefused() {
        Cluster c = Envoy.edsCluster("c")
                .setType(Cluster.DiscoveryType.STATIC)
                .clearEdsClusterConfig()
                .build();
        assertThatThrownBy(() -> ClusterTranslator.translate(c)).hasMessageContaining("Cluster c.type");
    }

    @Test
    void endpointsCarryMeshMetadata() {
        var cla = Envoy.hboneEndpoints(
                "c", new java.net.InetSocketAddress("198.18.0.7", 8080), "spiffe://cluster.local/ns/default/sa/r");
        EndpointConfig e = EndpointTranslator.translate(cla).get(0);
        assertThat(e.hbone()).isTrue();
        assertThat(e.identity()).contains("spiffe://cluster.local/ns/default/sa/r");
        assertThat(e.address().getPort()).isEqualTo(8080);
    }

    @Test
    void virtualHostSelectionPrefersExactThenWildcards() {
        var table = RouteTranslator.translate(io.envoyproxy.envoy.config.route.v3.RouteConfiguration.newBuilder()
                .setName("t")
                .addVirtualHosts(VirtualHost.newBuilder().setName("any").addDomains("*"))
                .addVirtualHosts(VirtualHost.newBuilder().setName("suffix").addDomains("*.example.com"))
                .addVirtualHosts(VirtualHost.newBuilder().setName("exact").addDomains("a.example.com"))
                .build());
        assertThat(table.virtualHostFor("a.example.com:80").orElseThrow().name())
                .isEqualTo("exact");
        assertThat(table.virtualHostFor("b.example.com").orElseThrow().name()).isEqualTo("suffix");
        assertThat(table.virtualHostFor("other").orElseThrow().name()).isEqualTo("any");
    }

    @Test
    void istioStyleOutlierDetectionAndPanicThresholdAreAccepted() {
        Cluster c = Envoy.edsCluster("outbound|80||r")
                .setOutlierDetection(OutlierDetection.newBuilder()
                        .setEnforcingSuccessRate(Envoy.u32(0))
                        .setConsecutive5Xx(Envoy.u32(5))
                        .setEnforcingConsecutive5Xx(Envoy.u32(100))
                        .setConsecutiveLocalOriginFailure(Envoy.u32(2))
                        .setEnforcingConsecutiveLocalOriginFailure(Envoy.u32(100))
                        .setSplitExternalLocalOriginErrors(true))
                .setCommonLbConfig(Cluster.CommonLbConfig.newBuilder()
                        .setHealthyPanicThreshold(
                                io.envoyproxy.envoy.type.v3.Percent.newBuilder().setValue(0)))
                .build();
        ClusterConfig config = ClusterTranslator.translate(c);
        assertThat(config.outlierDetection().orElseThrow().splitExternalLocalOriginErrors())
                .isTrue();
        assertThat(config.outlierDetection().orElseThrow().consecutiveLocalOriginFailure())
                .isEqualTo(2);
        assertThat(config.panicThresholdPercent()).isZero();
        Cluster successRate = c.toBuilder()
                .setOutlierDetection(c.getOutlierDetection().toBuilder().setEnforcingSuccessRate(Envoy.u32(100)))
                .build();
        assertThatThrownBy(() -> ClusterTranslator.translate(successRate))
                .hasMessageContaining("enforcing_success_rate");
        Cluster zoneAware = c.toBuilder()
                .setCommonLbConfig(c.getCommonLbConfig().toBuilder()
                        .setZoneAwareLbConfig(Cluster.CommonLbConfig.ZoneAwareLbConfig.getDefaultInstance().toBuilder()
                                .setFailTrafficOnPanic(true)))
                .build();
        assertThatThrownBy(() -> ClusterTranslator.translate(zoneAware))
                .hasMessageContaining("common_lb_config.zone_aware_lb_config");
    }
}
