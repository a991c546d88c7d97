package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.dns.Dnsmasq;
import io.ambientjava.waypoint.config.UnsupportedConfigException;
import io.ambientjava.waypoint.telemetry.RequestRecord;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.LocalCommands;
import io.ambientjava.waypoint.testsupport.OpensslServer;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.ambientjava.waypoint.upstream.DnsClusters;
import io.ambientjava.waypoint.xds.TypeUrls;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests through the waypoint to a STRICT_DNS / LOGICAL_DNS cluster (egress to a host outside the mesh) whose
 * names a real DNS server (dnsmasq on loopback) answers: the names are resolved, re-resolved every
 * {@code dns_refresh_rate}, and the endpoints follow.
 */
@RequiresCommand("dnsmasq")
class DnsClusterTrafficTest {

    private static final String CLUSTER = "outbound|80||api.external.test";

    private static Dnsmasq dns;

    @TempDir
    static Path keys;

    private TestBed bed;
    private OpensslServer tlsServer;

    @BeforeAll
    static void startDns() throws Exception {
        dns = Dnsmasq.startOnLoopback(new Dnsmasq.Zone("external.test").a("api.external.test", "127.0.0.1"));
    }

    @AfterAll
    static void stopDns() throws Exception {
        if (dns != null) {
            dns.close();
        }
    }

    @AfterEach
    void close() throws Exception {
        if (tlsServer != null) {
            tlsServer.close();
        }
        if (bed != null) {
            bed.close();
        }
    }

    private TestBed bed() {
        bed = TestBed.resolvingWith(new DnsClusters(List.of(dns.address()), Duration.ofMillis(500)));
        bed.configure(List.of(Envoy.prefixRoute("/", CLUSTER).build()));
        return bed;
    }

    /** A STRICT_DNS cluster {@link #CLUSTER} of {@code targets}, resolved again every 200 ms. */
    private static Cluster.Builder strict(String... targets) {
        return Envoy.dnsCluster(CLUSTER, Cluster.DiscoveryType.STRICT_DNS, targets)
                .setDnsRefreshRate(Envoy.millis(200));
    }

    private RequestRecord lastRecord() {
        await().atMost(Duration.ofSeconds(5)).until(() -> !bed.records.isEmpty());
        return bed.records.getLast();
    }

    @Test
    void aRequestReachesTheServerTheNameResolvesTo() {
        TestBed bed = bed();
        TestUpstream server = bed.upstream("external");
        bed.push(strict("api.external.test:" + server.address().getPort()).build());
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(bed.get("/hello").body()).isEqualTo("external GET /hello\n"));
        RequestRecord record = lastRecord();
        assertThat(record.status()).isEqualTo(200);
        assertThat(record.cluster()).isEqualTo(CLUSTER);
        assertThat(record.upstreamHost())
                .contains("127.0.0.1:" + server.address().getPort());
        assertThat(record.destinationWorkload()).isPresent();
        assertThat(bed.runtime.config().endpointsOf(CLUSTER))
                .singleElement()
                .satisfies(e -> assertThat(e.hbone()).isFalse());
    }

    @Test
    void aLogicalDnsClusterServesToo() {
        TestBed bed = bed();
        TestUpstream server = bed.upstream("logical");
        bed.push(Envoy.dnsCluster(
                        CLUSTER,
                        Cluster.DiscoveryType.LOGICAL_DNS,
                        "api.external.test:" + server.address().getPort())
                .setDnsRefreshRate(Envoy.millis(200))
                .build());
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(bed.get("/").statusCode()).isEqualTo(200));
    }

    @Test
    void theEndpointsFollowARecordThatChanges() throws Exception {
        TestBed bed = bed();
        TestUpstream first = bed.upstream("first");
        int port = first.address().getPort();
        TestUpstream second = bed.upstream("second", new InetSocketAddress("127.0.0.2", port));
        dns.publish("moving.external.test", "127.0.0.1");
        bed.push(strict("moving.external.test:" + port).build());
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(bed.get("/a").body()).isEqualTo("first GET /a\n"));

        dns.publish("moving.external.test", "127.0.0.2");
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(bed.get("/b").body()).isEqualTo("second GET /b\n"));
        assertThat(bed.runtime.clusters().get(CLUSTER).orElseThrow().hosts())
                .singleElement()
                .satisfies(h -> assertThat(h.addressText()).isEqualTo("127.0.0.2:" + port));
        assertThat(second.count.get()).isPositive();
    }

    @Test
    void aNameThatDoesNotResolveGets503NoHealthyUpstreamUntilItIsPublished() throws Exception {
        TestBed bed = bed();
        TestUpstream server = bed.upstream("late");
        bed.push(strict("late.external.test:" + server.address().getPort()).build());
        long started = System.nanoTime();
        HttpResponse<String> response = bed.get("/");
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .as("answered at once, not held")
                .isLessThan(Duration.ofSeconds(5));
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).isEqualTo("no healthy upstream");
        assertThat(lastRecord().responseFlags()).isEqualTo("UH");

        dns.publish("late.external.test", "127.0.0.1");
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(bed.get("/now").body()).isEqualTo("late GET /now\n"));
    }

    @Test
    void aConfigUpdateThatKeepsTheClusterKeepsItsEndpointsAndRemovingItStopsResolving() {
        TestBed bed = bed();
        TestUpstream server = bed.upstream("kept");
        String target = "api.external.test:" + server.address().getPort();
        bed.push(strict(target).build());
        await().atMost(Duration.ofSeconds(5))
                .until(() -> !bed.runtime.config().endpointsOf(CLUSTER).isEmpty());

        // Another lb_policy and another route table: no resolution runs in between, the endpoints stay.
        bed.push(strict(target).setLbPolicy(Cluster.LbPolicy.RANDOM).build());
        assertThat(bed.runtime.config().endpointsOf(CLUSTER)).hasSize(1);
        bed.configure(List.of(
                Envoy.prefixRoute("/", CLUSTER).build(),
                Envoy.prefixRoute("/x", CLUSTER).build()));
        assertThat(bed.runtime.config().endpointsOf(CLUSTER)).hasSize(1);
        assertThat(bed.get("/still").statusCode()).isEqualTo(200);

        bed.remove(TypeUrls.CLUSTER, CLUSTER);
        assertThat(bed.dns.clusters()).isEmpty();
        long queries = bed.dns.queriesSent();
        await().during(Duration.ofMillis(700))
                .atMost(Duration.ofSeconds(3))
                .until(() -> bed.dns.queriesSent() == queries);
        HttpResponse<String> response = bed.get("/gone");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(lastRecord().responseFlags()).isEqualTo("NC");
    }

    @Test
    void aBadDnsClusterIsRefusedNamingTheFieldAndTheLastGoodOneStays() {
        TestBed bed = bed();
        TestUpstream server = bed.upstream("good");
        bed.push(strict("api.external.test:" + server.address().getPort()).build());
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(bed.get("/").statusCode()).isEqualTo(200));

        assertThatThrownBy(() -> bed.push(strict("api.external.test:0").build()))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining(
                        CLUSTER + ".load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address"
                                + ".port_value");
        assertThatThrownBy(() -> bed.push(strict(":8080").build()))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining(CLUSTER
                        + ".load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address" + ".address");
        assertThatThrownBy(() -> bed.push(strict().clearLoadAssignment().build()))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining(CLUSTER + ".load_assignment");
        assertThat(bed.get("/").statusCode()).isEqualTo(200);
    }

    @Test
    @RequiresCommand("openssl")
    void tlsIsOriginatedToTheResolvedAddressWithTheClustersServerName() throws Exception {
        LocalCommands.selfSigned(keys, "ca", "external-ca", "sec1-ec");
        LocalCommands.issuedBy(keys, "ca", "api", "api.external.test", "DNS:api.external.test");
        tlsServer = OpensslServer.start(keys, "-cert", "api.crt", "-key", "api.key");
        TestBed bed = bed();
        UpstreamTlsContext tls = UpstreamTlsContext.newBuilder()
                .setSni("api.external.test")
                .setCommonTlsContext(CommonTlsContext.newBuilder()
                        .setValidationContext(CertificateValidationContext.newBuilder()
                                .setTrustedCa(DataSource.newBuilder()
                                        .setInlineBytes(ByteString.copyFrom(
                                                Files.readString(keys.resolve("ca.crt")), StandardCharsets.US_ASCII)))
                                .addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
                                        .setSanType(SubjectAltNameMatcher.SanType.DNS)
                                        .setMatcher(StringMatcher.newBuilder().setExact("api.external.test")))))
                .build();
        bed.push(strict("api.external.test:" + tlsServer.address().getPort())
                .setTransportSocket(TransportSocket.newBuilder()
                        .setName("envoy.transport_sockets.tls")
                        .setTypedConfig(Any.pack(tls)))
                .build());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> response = bed.get("/");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains("TLSv1.3");
        });
    }
}
