package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ForwardingTest {

    private final TestBed bed = new TestBed();

    @AfterEach
    void close() {
        bed.close();
    }

    @Test
    void forwardsGetAndPostOverHttp1() {
        TestUpstream up = bed.upstream("v1");
        bed.configure(List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build()));
        bed.cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build(), up);

        var get = bed.get("/hello?x=1");
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).startsWith("v1 GET /hello?x=1");
        assertThat(get.headers().firstValue("server")).contains("istio-envoy");

        var post = bed.send(HttpRequest.newBuilder(URI.create(bed.url("/submit")))
                .POST(HttpRequest.BodyPublishers.ofString("payload-123"))
                .timeout(Duration.ofSeconds(10))
                .build());
        assertThat(post.statusCode()).isEqualTo(200);
        assertThat(post.body()).isEqualTo("v1 POST /submit\npayload-123");
        assertThat(up.seen.get(1).headers()).containsKey("x-request-id");
        assertThat(bed.records).hasSize(2);
        assertThat(bed.records.get(0).status()).isEqualTo(200);
        assertThat(bed.records.get(0).destinationService()).isEqualTo(TestBed.HOST);
    }

    @Test
    void manyRequestsReuseConnections() {
        TestUpstream up = bed.upstream("v1");
        bed.configure(List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build()));
        bed.cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build(), up);
        for (int i = 0; i < 200; i++) {
            assertThat(bed.get("/n" + i).statusCode()).isEqualTo(200);
        }
        assertThat(up.count.get()).isEqualTo(200);
    }

    @Test
    void noRouteIs404AndUnknownClusterIs503() {
        bed.configure(
                List.of(Envoy.prefixRoute("/known", "outbound|80||nowhere").build()));
        assertThat(bed.get("/other").statusCode()).isEqualTo(404);
        assertThat(bed.get("/known").statusCode()).isEqualTo(503);
        assertThat(bed.records).extracting(r -> r.responseFlags()).containsExactly("NR", "NC");
    }

    @Test
    void unreachableEndpointIs503WithUpstreamFailureFlag() throws Exception {
        var dead = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        var address = (java.net.InetSocketAddress) dead.getLocalSocketAddress();
        dead.close();
        bed.configure(List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build()));
        bed.push(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build());
        bed.push(Envoy.plainEndpoints(TestBed.DEFAULT_CLUSTER, List.of(address)));
        var response = bed.get("/");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(bed.records.getLast().responseFlags()).isEqualTo("UF");
    }

    @Test
    void largeBodiesStreamBothWaysBeyondTheBufferLimit() {
        TestUpstream up = bed.upstream("v1");
        bed.configure(List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build()));
        bed.cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build(), up);
        String big = "0123456789abcdef".repeat(5 * 1024 * 1024 / 16);
        var post = bed.send(HttpRequest.newBuilder(URI.create(bed.url("/upload")))
                .POST(HttpRequest.BodyPublishers.ofString(big))
                .timeout(Duration.ofSeconds(20))
                .build());
        assertThat(post.statusCode()).isEqualTo(200);
        assertThat(post.body()).hasSize("v1 POST /upload\n".length() + big.length());
        assertThat(post.body()).endsWith(big.substring(big.length() - 100));
        assertThat(bed.records.getLast().requestBytes()).isEqualTo(big.length());
        assertThat(bed.records.getLast().responseBytes()).isEqualTo(post.body().length());
    }

    @Test
    void forwardedForParsing() {
        assertThat(InboundConnector.parseForwardedFor("for=\"198.18.0.5:43210\""))
                .contains(new java.net.InetSocketAddress("198.18.0.5", 43210));
        assertThat(InboundConnector.parseForwardedFor("for=\"[2001:db8::1]:80\";host=x"))
                .contains(new java.net.InetSocketAddress("2001:db8::1", 80));
        assertThat(InboundConnector.parseForwardedFor("by=x")).isEmpty();
    }

    @Test
    void shadowAuthorityKeepsThePort() {
        assertThat(MirrorSender.shadowAuthority("reviews:9080")).isEqualTo("reviews-shadow:9080");
        assertThat(MirrorSender.shadowAuthority("reviews")).isEqualTo("reviews-shadow");
    }
}
