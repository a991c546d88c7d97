package io.ambientjava.waypoint.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.waypoint.testsupport.Envoy;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code inbound-pod} listener (a chain per pod address) and its {@code ORIGINAL_DST} cluster. */
class WorkloadChainsTest {

    private static final String REVIEWS = "spiffe://cluster.local/ns/default/sa/reviews";

    @Test
    void eachChainBecomesTheListenerOfItsPodsAddressOnAnyPort() {
        ListenerConfig listener = ListenerTranslator.translate(Envoy.workloadListener(
                Envoy.workloadChain("198.18.0.7", REVIEWS), Envoy.workloadChain("198.18.0.9", REVIEWS)));

        var workloads = (ListenerConfig.Workloads) listener.kind();
        assertThat(workloads.byAddress()).containsOnlyKeys("198.18.0.7", "198.18.0.9");
        ListenerConfig chain = workloads.byAddress().get("198.18.0.7");
        assertThat(chain.name()).isEqualTo("inbound-pod|198.18.0.7");
        assertThat(chain.port()).isEqualTo(ListenerConfig.ANY_PORT);
        assertThat(chain.workload())
                .contains(new WorkloadEndpoint(
                        true, Optional.of(REVIEWS), Optional.of("reviews-v1-pod;default;reviews;v1;Kubernetes")));
        var http = (ListenerConfig.Http) chain.kind();
        assertThat(http.routeConfigName()).isEqualTo("inbound-pod");
        assertThat(http.fallbackCluster()).contains("inbound-pod|passthrough");

        WaypointConfig config = new WaypointConfig(Map.of(listener.name(), listener), Map.of(), Map.of(), Map.of(), "");
        assertThat(config.listenerFor("198.18.0.7", 9080)).contains(chain);
        assertThat(config.listenerFor("198.18.0.7", 15000)).contains(chain);
        assertThat(config.listenerFor("198.18.0.8", 9080)).isEmpty();
        assertThat(config.listenerFor("0.0.0.0", 15008))
                .as("the holder is no wildcard listener")
                .isEmpty();
        assertThat(chain.workload()
                        .orElseThrow()
                        .at(new InetSocketAddress("198.18.0.7", 9080))
                        .identity())
                .contains(REVIEWS);
    }

    @Test
    void aServiceListenerOnTheSameAddressAndPortComesFirst() {
        ListenerConfig pods =
                ListenerTranslator.translate(Envoy.workloadListener(Envoy.workloadChain("198.19.0.10", REVIEWS)));
        ListenerConfig vip = ListenerTranslator.translate(Envoy.httpListener("198.19.0.10", 80, "reviews"));
        WaypointConfig config =
                new WaypointConfig(Map.of(pods.name(), pods, vip.name(), vip), Map.of(), Map.of(), Map.of(), "");
        assertThat(config.listenerFor("198.19.0.10", 80)).contains(vip);
        assertThat(config.listenerFor("198.19.0.10", 81).orElseThrow().name()).isEqualTo("inbound-pod|198.19.0.10");
    }

    @Test
    void ipv6AddressesAreKeyedAsTheTunnelSpellsThem() {
        ListenerConfig listener =
                ListenerTranslator.translate(Envoy.workloadListener(Envoy.workloadChain("fd00::7", REVIEWS)));
        assertThat(((ListenerConfig.Workloads) listener.kind()).byAddress()).containsOnlyKeys("fd00:0:0:0:0:0:0:7");
    }

    @Test
    void aRangeWiderThanOneAddressIsRefusedByField() {
        FilterChain wide = withMatch(Envoy.workloadChain("198.18.0.0", REVIEWS), range("198.18.0.0", 24));
        assertThatThrownBy(() -> ListenerTranslator.translate(Envoy.workloadListener(wide)))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("filter_chains[0].filter_chain_match.prefix_ranges[0].prefix_len")
                .hasMessageContaining("only single addresses (/32)");
    }

    @Test
    void twoRangesOnOneChainAreRefused() {
        FilterChain two =
                withMatch(Envoy.workloadChain("198.18.0.7", REVIEWS), range("198.18.0.7", 32), range("198.18.0.8", 32));
        assertThatThrownBy(() -> ListenerTranslator.translate(Envoy.workloadListener(two)))
                .hasMessageContaining("prefix_ranges")
                .hasMessageContaining("exactly one range");
    }

    @Test
    void aDestinationPortOnAPodChainIsAnUnsupportedField() {
        FilterChain chain = Envoy.workloadChain("198.18.0.7", REVIEWS);
        FilterChain ported = chain.toBuilder()
                .setFilterChainMatch(chain.getFilterChainMatch().toBuilder().setDestinationPort(Envoy.u32(9080)))
                .build();
        assertThatThrownBy(() -> ListenerTranslator.translate(Envoy.workloadListener(ported)))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("destination_port");
    }

    @Test
    void aChainWithoutAMatchBesidePodChainsIsRefused() {
        FilterChain bare = Envoy.workloadChain("198.18.0.8", REVIEWS).toBuilder()
                .clearFilterChainMatch()
                .build();
        assertThatThrownBy(() -> ListenerTranslator.translate(
                        Envoy.workloadListener(Envoy.workloadChain("198.18.0.7", REVIEWS), bare)))
                .hasMessageContaining("filter_chains[1].filter_chain_match")
                .hasMessageContaining("needs prefix_ranges");
    }

    @Test
    void twoChainsForOneAddressAreRefused() {
        assertThatThrownBy(() -> ListenerTranslator.translate(Envoy.workloadListener(
                        Envoy.workloadChain("198.18.0.7", REVIEWS), Envoy.workloadChain("198.18.0.7", REVIEWS))))
                .hasMessageContaining("a second chain for 198.18.0.7");
    }

    @Test
    void anHboneChainWithoutIdentityIsRefused() {
        FilterChain chain = Envoy.workloadChain("198.18.0.7", "");
        assertThatThrownBy(() -> ListenerTranslator.translate(Envoy.workloadListener(chain)))
                .hasMessageContaining("filter_chains[0].metadata.filter_metadata.ambient.identity");
    }

    @Test
    void anOriginalDestinationClusterTranslates() {
        ClusterConfig cluster = ClusterTranslator.translate(Envoy.originalDestinationCluster());
        assertThat(cluster.originalDestination()).isTrue();
        assertThat(cluster.connectTimeout()).hasSeconds(10);
        assertThat(ClusterTranslator.translate(Envoy.edsCluster("c").build()).originalDestination())
                .isFalse();
    }

    @Test
    void originalDestinationAndClusterProvidedGoTogether() {
        Cluster roundRobin = Envoy.originalDestinationCluster().toBuilder()
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
                .build();
        assertThatThrownBy(() -> ClusterTranslator.translate(roundRobin))
                .hasMessageContaining("inbound-pod|passthrough.lb_policy")
                .hasMessageContaining("needs CLUSTER_PROVIDED");
        Cluster eds = Envoy.edsCluster("c")
                .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
                .build();
        assertThatThrownBy(() -> ClusterTranslator.translate(eds))
                .hasMessageContaining("Cluster c.lb_policy")
                .hasMessageContaining("only for ORIGINAL_DST");
    }

    private static FilterChain withMatch(FilterChain chain, CidrRange... ranges) {
        FilterChainMatch.Builder match = FilterChainMatch.newBuilder();
        for (CidrRange r : ranges) {
            match.addPrefixRanges(r);
        }
        return chain.toBuilder().setFilterChainMatch(match).build();
    }

    private static CidrRange range(String ip, int length) {
        return CidrRange.newBuilder()
                .setAddressPrefix(ip)
                .setPrefixLen(Envoy.u32(length))
                .build();
    }
}
