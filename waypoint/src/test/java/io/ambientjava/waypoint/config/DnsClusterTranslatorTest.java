package io.ambientjava.waypoint.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** STRICT_DNS and LOGICAL_DNS clusters: what is taken from them, and what is refused, by field. */
class DnsClusterTranslatorTest {

    private static final String NAME = "outbound|80||api.external.test";

    private static Cluster.Builder strict(String... targets) {
        return Envoy.dnsCluster(NAME, Cluster.DiscoveryType.STRICT_DNS, targets);
    }

    /** The first lb_endpoint of the cluster's load_assignment, changed by {@code change}. */
    private static Cluster withEndpoint(
            Cluster.Builder cluster, java.util.function.Consumer<LbEndpoint.Builder> change) {
        ClusterLoadAssignment.Builder cla = cluster.getLoadAssignment().toBuilder();
        LbEndpoint.Builder endpoint = cla.getEndpoints(0).getLbEndpoints(0).toBuilder();
        change.accept(endpoint);
        cla.setEndpoints(0, cla.getEndpoints(0).toBuilder().setLbEndpoints(0, endpoint));
        return cluster.setLoadAssignment(cla).build();
    }

    private static String nackOf(Cluster c) {
        try {
            ClusterTranslator.translate(c);
        } catch (UnsupportedConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("not refused: " + c);
    }

    @Test
    void aStrictDnsClusterTranslatesWithItsNamesAndDnsSettings() {
        Cluster c = withEndpoint(
                        strict("api.external.test:8082", "198.18.0.9:8443")
                                .setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST)
                                .setDnsRefreshRate(Envoy.millis(200))
                                .setRespectDnsTtl(true),
                        e -> e.setLoadBalancingWeight(Envoy.u32(3)))
                .toBuilder()
                .build();
        ClusterConfig config = ClusterTranslator.translate(c);
        DnsDiscovery dns = config.dns().orElseThrow();
        assertThat(dns.logical()).isFalse();
        assertThat(dns.lookupFamily()).isEqualTo(DnsDiscovery.LookupFamily.V4_ONLY);
        assertThat(dns.refreshRate()).isEqualTo(Duration.ofMillis(200));
        assertThat(dns.respectTtl()).isTrue();
        assertThat(dns.targets())
                .containsExactly(
                        new DnsDiscovery.Target(
                                "api.external.test",
                                8082,
                                3,
                                true,
                                Optional.of("external;egress;external;latest;Kubernetes")),
                        new DnsDiscovery.Target(
                                "198.18.0.9",
                                8443,
                                1,
                                true,
                                Optional.of("external;egress;external;latest;Kubernetes")));
        assertThat(dns.targets().get(0).literal()).isEmpty();
        assertThat(dns.targets().get(1).literal()).contains(address("198.18.0.9"));
        assertThat(config.lbPolicy()).isEqualTo(LbPolicy.LEAST_REQUEST);
        assertThat(config.originalDestination()).isFalse();
        EndpointConfig endpoint = dns.targets().get(0).at(address("198.18.0.7"));
        assertThat(endpoint.hbone()).as("outside the mesh: plain TCP").isFalse();
        assertThat(endpoint.identity()).isEmpty();
        assertThat(endpoint.weight()).isEqualTo(3);
        assertThat(endpoint.address().getPort()).isEqualTo(8082);
    }

    @Test
    void aLogicalDnsClusterTranslatesWithEnvoysDefaults() {
        Cluster c = Envoy.dnsCluster(NAME, Cluster.DiscoveryType.LOGICAL_DNS, "API.External.Test.:80")
                .clearDnsLookupFamily()
                .build();
        DnsDiscovery dns = ClusterTranslator.translate(c).dns().orElseThrow();
        assertThat(dns.logical()).isTrue();
        assertThat(dns.lookupFamily()).isEqualTo(DnsDiscovery.LookupFamily.AUTO);
        assertThat(dns.refreshRate()).isEqualTo(Duration.ofSeconds(5));
        assertThat(dns.respectTtl()).isFalse();
        assertThat(dns.targets().getFirst().host())
                .as("lower case, no trailing dot")
                .isEqualTo("api.external.test");
    }

    @Test
    void everyLookupFamilyIsTaken() {
        assertThat(ClusterTranslator.translate(strict("a.external.test:80")
                                .setDnsLookupFamily(Cluster.DnsLookupFamily.V4_PREFERRED)
                                .build())
                        .dns()
                        .orElseThrow()
                        .lookupFamily())
                .isEqualTo(DnsDiscovery.LookupFamily.V4_PREFERRED);
        assertThat(ClusterTranslator.translate(strict("a.external.test:80")
                                .setDnsLookupFamily(Cluster.DnsLookupFamily.ALL)
                                .build())
                        .dns()
                        .orElseThrow()
                        .lookupFamily())
                .isEqualTo(DnsDiscovery.LookupFamily.ALL);
        assertThat(ClusterTranslator.translate(strict("a.external.test:80")
                                .setDnsLookupFamily(Cluster.DnsLookupFamily.V6_ONLY)
                                .build())
                        .dns()
                        .orElseThrow()
                        .lookupFamily())
                .isEqualTo(DnsDiscovery.LookupFamily.V6_ONLY);
    }

    @Test
    void anUnhealthyTargetIsKeptAsUnhealthy() {
        Cluster c = withEndpoint(strict("a.external.test:80"), e -> e.setHealthStatus(HealthStatus.UNHEALTHY));
        assertThat(ClusterTranslator.translate(c)
                        .dns()
                        .orElseThrow()
                        .targets()
                        .getFirst()
                        .healthy())
                .isFalse();
    }

    @Test
    void aDnsClusterWithoutLoadAssignmentIsRefused() {
        assertThat(nackOf(strict().clearLoadAssignment().build()))
                .contains("invalid Cluster " + NAME + ".load_assignment")
                .contains("STRICT_DNS");
    }

    @Test
    void fieldsTheWaypointDoesNotImplementAreRefusedByName() {
        assertThat(nackOf(strict("a.external.test:80")
                        .setDnsFailureRefreshRate(
                                Cluster.RefreshRate.newBuilder().setBaseInterval(Envoy.seconds(1)))
                        .build()))
                .contains("unsupported field Cluster " + NAME + ".dns_failure_refresh_rate");
        assertThat(nackOf(strict("a.external.test:80")
                        .setUseTcpForDnsLookups(true)
                        .build()))
                .contains("unsupported field Cluster " + NAME + ".use_tcp_for_dns_lookups");
        Cluster withPolicy = strict("a.external.test:80")
                .setLoadAssignment(strict("a.external.test:80").getLoadAssignment().toBuilder()
                        .setPolicy(ClusterLoadAssignment.Policy.newBuilder().setOverprovisioningFactor(Envoy.u32(140))))
                .build();
        assertThat(nackOf(withPolicy)).contains("unsupported field Cluster " + NAME + ".load_assignment.policy");
        Cluster withResolver = withEndpoint(
                strict("a.external.test:80"),
                e -> e.getEndpointBuilder()
                        .getAddressBuilder()
                        .getSocketAddressBuilder()
                        .setResolverName("custom"));
        assertThat(nackOf(withResolver))
                .contains(
                        ".load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.resolver_name");
    }

    @Test
    void edsConfigOnADnsClusterAndDnsSettingsOnAnEdsClusterAreRefusedByName() {
        Cluster dnsWithEds = strict("a.external.test:80")
                .setEdsClusterConfig(Envoy.edsCluster("x").getEdsClusterConfig())
                .build();
        assertThat(nackOf(dnsWithEds)).contains("invalid Cluster " + NAME + ".eds_cluster_config");
        Cluster edsWithAssignment = Envoy.edsCluster("c")
                .setLoadAssignment(strict("a.external.test:80").getLoadAssignment())
                .build();
        assertThat(nackOf(edsWithAssignment)).contains("invalid Cluster c.load_assignment");
        assertThat(nackOf(Envoy.edsCluster("c")
                        .setDnsLookupFamily(Cluster.DnsLookupFamily.V4_ONLY)
                        .build()))
                .contains("invalid Cluster c.dns_lookup_family");
        assertThat(nackOf(Envoy.edsCluster("c").setRespectDnsTtl(true).build()))
                .contains("invalid Cluster c.respect_dns_ttl");
        assertThat(nackOf(Envoy.originalDestinationCluster().toBuilder()
                        .setDnsRefreshRate(Envoy.seconds(5))
                        .build()))
                .contains(".dns_refresh_rate");
    }

    @Test
    void badTargetsAreRefusedNamingTheField() {
        String endpoint = "Cluster " + NAME + ".load_assignment.endpoints[0].lb_endpoints[0]";
        assertThat(nackOf(strict("api.external.test:0").build()))
                .contains("invalid " + endpoint + ".endpoint.address.socket_address.port_value");
        assertThat(nackOf(strict(":8080").build()))
                .contains("invalid " + endpoint + ".endpoint.address.socket_address.address")
                .contains("empty");
        assertThat(nackOf(strict("not a name:8080").build()))
                .contains("invalid " + endpoint + ".endpoint.address.socket_address.address")
                .contains("'not a name'");
        assertThat(nackOf(strict("-bad.external.test:8080").build()))
                .contains(endpoint + ".endpoint.address.socket_address.address");
        assertThat(nackOf(strict("198.18.0.300:8080").build()))
                .contains(endpoint + ".endpoint.address.socket_address.address");
        Cluster viaHbone = withEndpoint(
                strict("a.external.test:80"),
                e -> e.setMetadata(Metadata.newBuilder()
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
                                                        .setStringValue("spiffe://cluster.local/ns/x/sa/y")
                                                        .build())
                                        .build())));
        assertThat(nackOf(viaHbone)).contains(endpoint + ".metadata.filter_metadata.ambient.hbone");
    }

    @Test
    void badDnsSettingsAreRefusedNamingTheField() {
        assertThat(nackOf(strict("a.external.test:80")
                        .setDnsRefreshRate(Envoy.millis(0))
                        .build()))
                .contains("invalid Cluster " + NAME + ".dns_refresh_rate");
        assertThat(nackOf(strict("a.external.test:80")
                        .setLoadAssignment(strict("a.external.test:80").getLoadAssignment().toBuilder()
                                .setClusterName("another"))
                        .build()))
                .contains("invalid Cluster " + NAME + ".load_assignment.cluster_name");
        assertThat(nackOf(strict("a.external.test:80")
                        .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
                        .build()))
                .contains("invalid Cluster " + NAME + ".lb_policy");
    }

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
