package io.ambientjava.waypoint.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.dns.Dnsmasq;
import io.ambientjava.waypoint.config.ClusterConfig;
import io.ambientjava.waypoint.config.ClusterTranslator;
import io.ambientjava.waypoint.config.EndpointConfig;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The names of DNS clusters resolved against a real DNS server (dnsmasq on loopback). */
@RequiresCommand("dnsmasq")
class DnsClustersTest {

    private static final Duration QUERY_TIMEOUT = Duration.ofMillis(300);

    private static Dnsmasq server;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final AtomicInteger changes = new AtomicInteger();

    @BeforeAll
    static void startDns() throws Exception {
        server = Dnsmasq.startOnLoopback(new Dnsmasq.Zone("external.test")
                .a("api.external.test", "127.0.0.1")
                .a("multi.external.test", "127.0.0.2", "127.0.0.1", "127.0.0.3")
                .ttl(1));
    }

    @AfterAll
    static void stopDns() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            c.close();
        }
    }

    private DnsClusters resolvingWith(Dnsmasq dns) {
        DnsClusters clusters = new DnsClusters(List.of(dns.address()), QUERY_TIMEOUT);
        clusters.onChange(changes::incrementAndGet);
        closeables.add(clusters);
        return clusters;
    }

    private static ClusterConfig cluster(
            String name, Cluster.DiscoveryType type, UnaryOperator<Cluster.Builder> change, String... targets) {
        return ClusterTranslator.translate(
                change.apply(Envoy.dnsCluster(name, type, targets).setDnsRefreshRate(Envoy.millis(200)))
                        .build());
    }

    private static ClusterConfig strict(String name, String... targets) {
        return cluster(name, Cluster.DiscoveryType.STRICT_DNS, b -> b, targets);
    }

    private static Map<String, ClusterConfig> config(ClusterConfig... clusters) {
        Map<String, ClusterConfig> out = new java.util.HashMap<>();
        for (ClusterConfig c : clusters) {
            out.put(c.name(), c);
        }
        return out;
    }

    private static List<String> addresses(DnsClusters dns, String cluster) {
        return dns.endpoints().getOrDefault(cluster, List.of()).stream()
                .map(e -> e.address().getAddress().getHostAddress() + ":"
                        + e.address().getPort())
                .toList();
    }

    @Test
    void strictDnsMakesEveryAddressAnEndpointAndLogicalDnsTheFirst() {
        DnsClusters dns = resolvingWith(server);
        dns.retain(config(
                strict("strict", "multi.external.test:8080", "api.external.test:9090"),
                cluster("logical", Cluster.DiscoveryType.LOGICAL_DNS, b -> b, "multi.external.test:8080")));
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(addresses(dns, "strict"))
                        .containsExactly("127.0.0.1:8080", "127.0.0.2:8080", "127.0.0.3:8080", "127.0.0.1:9090"));
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(addresses(dns, "logical"))
                        .hasSize(1)
                        .first()
                        .isIn("127.0.0.1:8080", "127.0.0.2:8080", "127.0.0.3:8080"));
        EndpointConfig endpoint = dns.endpoints().get("strict").getFirst();
        assertThat(endpoint.hbone()).isFalse();
        assertThat(endpoint.healthy()).isTrue();
        assertThat(endpoint.workload()).contains("external;egress;external;latest;Kubernetes");
        assertThat(endpoint.address().getHostName())
                .as("the address keeps the name it was resolved from")
                .isEqualTo("multi.external.test");
        assertThat(changes.get()).isPositive();
    }

    @Test
    void aNamePublishedLaterAndAChangedRecordAreFollowedWithinTheRefreshRate() throws Exception {
        DnsClusters dns = resolvingWith(server);
        dns.retain(config(strict("later", "later.external.test:80")));
        long before = dns.queriesSent();
        await().atMost(Duration.ofSeconds(5)).until(() -> dns.queriesSent() >= before + 3);
        assertThat(addresses(dns, "later")).as("not in DNS yet").isEmpty();
        assertThat(dns.endpoints()).containsKey("later");

        server.publish("later.external.test", "127.0.0.4");
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(addresses(dns, "later")).containsExactly("127.0.0.4:80"));
        int changed = changes.get();

        server.publish("later.external.test", "127.0.0.5");
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(addresses(dns, "later")).containsExactly("127.0.0.5:80"));
        assertThat(changes.get()).isGreaterThan(changed);
    }

    @Test
    void endpointsArePublishedOnlyWhenTheyChange() {
        DnsClusters dns = resolvingWith(server);
        dns.retain(config(strict("api", "api.external.test:80")));
        await().atMost(Duration.ofSeconds(5)).until(() -> !addresses(dns, "api").isEmpty());
        int published = changes.get();
        long before = dns.queriesSent();
        await().atMost(Duration.ofSeconds(5)).until(() -> dns.queriesSent() >= before + 4);
        assertThat(changes.get()).as("the same answer again is no change").isEqualTo(published);
    }

    @Test
    void aNameThatStopsResolvingKeepsItsLastAddresses() throws Exception {
        Dnsmasq own = Dnsmasq.startOnLoopback(new Dnsmasq.Zone("external.test").a("api.external.test", "127.0.0.1"));
        closeables.add(own);
        DnsClusters dns = resolvingWith(own);
        dns.retain(config(strict("api", "api.external.test:80")));
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(addresses(dns, "api")).containsExactly("127.0.0.1:80"));
        closeables.remove(own); // Dnsmasq.close() is not idempotent
        own.close();
        long before = dns.queriesSent();
        await().atMost(Duration.ofSeconds(10)).until(() -> dns.queriesSent() >= before + 3);
        assertThat(addresses(dns, "api")).containsExactly("127.0.0.1:80");
    }

    @Test
    void anIpLiteralIsAnEndpointWithoutAQueryAndANameWithoutUpstreamNeverResolves() {
        DnsClusters dns = DnsClusters.withoutUpstreams();
        closeables.add(dns);
        dns.retain(config(strict("mixed", "198.18.0.9:8443", "api.external.test:80")));
        assertThat(addresses(dns, "mixed")).containsExactly("198.18.0.9:8443");
        assertThat(dns.queriesSent()).isZero();
        assertThat(dns.clusters()).containsExactly("mixed");
    }

    @Test
    void anUnchangedClusterKeepsItsEndpointsAndARemovedOneStopsResolving() {
        DnsClusters dns = resolvingWith(server);
        ClusterConfig api = strict("api", "api.external.test:80");
        dns.retain(config(api));
        await().atMost(Duration.ofSeconds(5)).until(() -> !addresses(dns, "api").isEmpty());

        // Another lb_policy: the same names and DNS settings, so the resolution goes on untouched.
        ClusterConfig otherLb = cluster(
                "api",
                Cluster.DiscoveryType.STRICT_DNS,
                b -> b.setLbPolicy(Cluster.LbPolicy.RANDOM),
                "api.external.test:80");
        dns.retain(config(otherLb));
        assertThat(addresses(dns, "api")).containsExactly("127.0.0.1:80");
        // Another refresh rate: resolved again, but the addresses the name had are kept meanwhile.
        ClusterConfig slower = cluster(
                "api",
                Cluster.DiscoveryType.STRICT_DNS,
                b -> b.setDnsRefreshRate(Envoy.millis(300)),
                "api.external.test:80");
        dns.retain(config(slower));
        assertThat(addresses(dns, "api")).containsExactly("127.0.0.1:80");

        dns.retain(Map.of());
        assertThat(dns.clusters()).isEmpty();
        assertThat(dns.endpoints()).isEmpty();
        long after = dns.queriesSent();
        await().during(Duration.ofMillis(900)).atMost(Duration.ofSeconds(3)).until(() -> dns.queriesSent() == after);
    }

    @Test
    void withRespectDnsTtlANameIsResolvedAgainWhenItsTtlRunsOut() throws Exception {
        DnsClusters dns = resolvingWith(server);
        server.publish("ttl.external.test", "127.0.0.6");
        // A probe asking every 200 ms tells when dnsmasq has read the new name.
        dns.retain(config(strict("probe", "ttl.external.test:80")));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> !addresses(dns, "probe").isEmpty());
        ClusterConfig hourly = cluster(
                "ttl",
                Cluster.DiscoveryType.STRICT_DNS,
                b -> b.setDnsRefreshRate(Envoy.seconds(3600)).setRespectDnsTtl(true),
                "ttl.external.test:80");
        dns.retain(config(hourly));
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(addresses(dns, "ttl")).containsExactly("127.0.0.6:80"));
        // The answer's TTL is 1 s: a change is seen within seconds although the refresh rate is an hour.
        server.publish("ttl.external.test", "127.0.0.7");
        await().atMost(Duration.ofSeconds(6))
                .untilAsserted(() -> assertThat(addresses(dns, "ttl")).containsExactly("127.0.0.7:80"));
    }

    @Test
    void lookupFamiliesFallBackAsEnvoysDo() {
        DnsClusters dns = resolvingWith(server);
        dns.retain(config(
                cluster(
                        "auto",
                        Cluster.DiscoveryType.STRICT_DNS,
                        b -> b.setDnsLookupFamily(Cluster.DnsLookupFamily.AUTO),
                        "api.external.test:80"),
                cluster(
                        "v4-preferred",
                        Cluster.DiscoveryType.STRICT_DNS,
                        b -> b.setDnsLookupFamily(Cluster.DnsLookupFamily.V4_PREFERRED),
                        "api.external.test:80"),
                cluster(
                        "all",
                        Cluster.DiscoveryType.STRICT_DNS,
                        b -> b.setDnsLookupFamily(Cluster.DnsLookupFamily.ALL),
                        "api.external.test:80"),
                cluster(
                        "v6-only",
                        Cluster.DiscoveryType.STRICT_DNS,
                        b -> b.setDnsLookupFamily(Cluster.DnsLookupFamily.V6_ONLY),
                        "api.external.test:80")));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(addresses(dns, "auto")).as("no AAAA record: IPv4").containsExactly("127.0.0.1:80");
            assertThat(addresses(dns, "v4-preferred")).containsExactly("127.0.0.1:80");
            assertThat(addresses(dns, "all")).containsExactly("127.0.0.1:80");
        });
        long before = dns.queriesSent();
        await().atMost(Duration.ofSeconds(5)).until(() -> dns.queriesSent() >= before + 6);
        assertThat(addresses(dns, "v6-only")).as("an A record only").isEmpty();
    }

    @Test
    void closingStopsEverything() {
        DnsClusters dns = new DnsClusters(List.of(server.address()), QUERY_TIMEOUT);
        dns.retain(config(strict("api", "api.external.test:80")));
        await().atMost(Duration.ofSeconds(5)).until(() -> !addresses(dns, "api").isEmpty());
        dns.close();
        assertThat(dns.clusters()).isEmpty();
        long after = dns.queriesSent();
        dns.retain(config(strict("api", "api.external.test:80")));
        assertThat(dns.clusters()).as("closed for good").isEmpty();
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> dns.queriesSent() == after);
        assertThat(Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().startsWith("waypoint-dns") && t.isAlive()))
                .as("the resolver's thread is gone")
                .isEmpty();
    }
}
