package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.H2Client;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProtocolTest {

    private final TestBed bed = new TestBed();
    private final TestUpstream up = bed.upstream("v1");

    @BeforeEach
    void config() {
        bed.configure(List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build()));
        bed.cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build(), up);
    }

    @AfterEach
    void close() {
        bed.close();
    }

    private static String curl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "10"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(15, TimeUnit.SECONDS)).isTrue();
            return out;
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    @RequiresCommand({"curl"})
    void curlOverHttp1Http2PriorKnowledgeAndUpgrade() throws Exception {
        assertThat(curl("-w", "%{http_version}", bed.url("/h1"))).isEqualTo("v1 GET /h1\n1.1");
        assertThat(curl("--http2-prior-knowledge", "-w", "%{http_version}", bed.url("/h2")))
                .isEqualTo("v1 GET /h2\n2");
        assertThat(curl("--http2", "-w", "%{http_version}", bed.url("/h2c"))).isEqualTo("v1 GET /h2c\n2");
        assertThat(curl("--http2-prior-knowledge", "-d", "data", bed.url("/post")))
                .isEqualTo("v1 POST /post\ndata");
        assertThat(up.seen)
                .extracting(TestUpstream.Seen::protocol)
                .containsExactly("HTTP/1.1", "HTTP/2", "HTTP/1.1", "HTTP/2"); // the h2c upgrade stays on its hop
    }

    @Test
    @RequiresCommand({"curl"})
    void anUpgradedClientIsForwardedInHttp1AndAPriorKnowledgeClientInHttp2() throws Exception {
        assertThat(curl("--http2", "-w", "%{http_version}", bed.url("/upgraded")))
                .isEqualTo("v1 GET /upgraded\n2");
        assertThat(curl("--http2-prior-knowledge", bed.url("/prior"))).isEqualTo("v1 GET /prior\n");

        assertThat(up.seen)
                .filteredOn(seen -> seen.uri().equals("/upgraded"))
                .singleElement()
                .extracting(TestUpstream.Seen::protocol)
                .isEqualTo("HTTP/1.1");
        assertThat(up.seen)
                .filteredOn(seen -> seen.uri().equals("/prior"))
                .singleElement()
                .extracting(TestUpstream.Seen::protocol)
                .isEqualTo("HTTP/2");
    }

    @Test
    void grpcStreamsAndTrailersPassIntact() throws Exception {
        try (H2Client client = new H2Client(bed.group, bed.listener.localAddress())) {
            var headers = H2Client.request("POST", "/pkg.Echo/Stream", "reviews")
                    .set("content-type", "application/grpc")
                    .set("te", "trailers");
            var response = client.exchange(headers, List.of("part1-", "part2-", "part3"));
            assertThat(response.headers().status().toString()).isEqualTo("200");
            assertThat(response.body()).isEqualTo("part1-part2-part3");
            assertThat(response.trailers()).isNotNull();
            assertThat(response.trailers().get("grpc-status").toString()).isEqualTo("0");
            assertThat(response.trailers().get("grpc-message").toString()).isEqualTo("ok-from-v1");
        }
        assertThat(up.seen.getFirst().protocol()).isEqualTo("HTTP/2");
        assertThat(up.seen.getFirst().headers()).containsEntry("te", "trailers");
        assertThat(bed.records.getLast().grpcStatus()).contains("0");
    }

    private String raw(String request) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), bed.listener.port())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            try {
                while ((n = in.read(buf)) > 0) {
                    got.write(buf, 0, n);
                    if (got.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
                        break;
                    }
                }
            } catch (java.net.SocketTimeoutException ignored) {
                // whatever came is the answer
            }
            return got.toString(StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void smugglingAttemptIsRefusedWith400() throws Exception {
        String answer = raw("POST /s HTTP/1.1\r\nHost: r\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: r\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 400");
        String twoLengths = raw("POST /s HTTP/1.1\r\nHost: r\r\nContent-Length: 4\r\nContent-Length: 6\r\n\r\nabcdef");
        assertThat(twoLengths).startsWith("HTTP/1.1 400");
        assertThat(up.count.get()).isZero();
    }

    @Test
    void oversizedHeadersAre431AndMalformedRequestsAre400() throws Exception {
        String big = "x".repeat(70 * 1024);
        assertThat(raw("GET / HTTP/1.1\r\nHost: r\r\nX-Big: " + big + "\r\n\r\n"))
                .startsWith("HTTP/1.1 431");
        assertThat(raw("GET / HTTP/1.1\r\nHost: r\r\nNo colon here\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(up.count.get()).isZero();
        assertThat(raw("GET /ok HTTP/1.1\r\nHost: r\r\n\r\n")).startsWith("HTTP/1.1 200");
    }

    @Test
    void nonHttpBytesOnAnHttpPortAreProxiedAsTcp() throws Exception {
        try (ServerSocket echo = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread server = Thread.ofVirtual().start(() -> {
                try (Socket s = echo.accept()) {
                    byte[] b = new byte[5];
                    s.getInputStream().readNBytes(b, 0, 5);
                    s.getOutputStream()
                            .write(("echo:" + new String(b, StandardCharsets.US_ASCII))
                                    .getBytes(StandardCharsets.US_ASCII));
                } catch (Exception ignored) {
                    // test ends
                }
            });
            bed.push(Envoy.plainEndpoints(
                    TestBed.DEFAULT_CLUSTER, List.of((java.net.InetSocketAddress) echo.getLocalSocketAddress())));
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), bed.listener.port())) {
                s.setSoTimeout(5000);
                s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x00, 0x05});
                byte[] answer = s.getInputStream().readNBytes(10);
                assertThat(answer).startsWith("echo:".getBytes(StandardCharsets.US_ASCII));
                assertThat(answer).endsWith(new byte[] {0x16, 0x03, 0x01, 0x00, 0x05});
            }
            server.join(2000);
        }
    }

    @Test
    void tcpListenerProxiesBytes() throws Exception {
        try (ServerSocket echo = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = echo.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream());
                } catch (Exception ignored) {
                    // test ends
                }
            });
            bed.remove(
                    io.ambientjava.waypoint.xds.TypeUrls.LISTENER,
                    "inbound-vip|" + TestBed.PORT + "|http|" + TestBed.HOST);
            bed.push(Envoy.tcpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST));
            bed.push(Envoy.plainEndpoints(
                    TestBed.DEFAULT_CLUSTER, List.of((java.net.InetSocketAddress) echo.getLocalSocketAddress())));
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), bed.listener.port())) {
                s.setSoTimeout(5000);
                s.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] answer = s.getInputStream().readNBytes(18);
                assertThat(new String(answer, StandardCharsets.US_ASCII)).isEqualTo("GET / HTTP/1.1\r\n\r\n");
            }
        }
    }

    @Test
    @RequiresCommand({"curl"})
    void expectContinueIsAnsweredByTheProxy() throws Exception {
        long start = System.nanoTime();
        String out = curl("-H", "Expect: 100-continue", "--data-binary", "abc", bed.url("/e"));
        assertThat(out).isEqualTo("v1 POST /e\nabc");
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(900); // curl waits 1 s without a 100
        assertThat(up.seen.getLast().headers()).doesNotContainKey("expect");
    }

    @Test
    void grpcTrailersOnlyErrorPassesAsOneHeadersFrame() throws Exception {
        try (H2Client client = new H2Client(bed.group, bed.listener.localAddress())) {
            var headers = H2Client.request("POST", "/pkg.Echo/Fail?grpcError=7", "reviews")
                    .set("content-type", "application/grpc")
                    .set("te", "trailers");
            var response = client.exchange(headers, List.of("x"));
            assertThat(response.headers().status().toString()).isEqualTo("200");
            assertThat(response.headers().get("grpc-status").toString()).isEqualTo("7");
            assertThat(response.body()).isEmpty();
            assertThat(response.trailers())
                    .as("one HEADERS frame, no trailers after it")
                    .isNull();
        }
        assertThat(bed.records.getLast().grpcStatus()).contains("7");
    }

    @Test
    @RequiresCommand({"curl"})
    void oversizedHttp2HeadersAreRefused() throws Exception {
        String out = curl(
                "--http2-prior-knowledge",
                "-w",
                "%{http_code}",
                "-o",
                "/dev/null",
                "-H",
                "x-big: " + "y".repeat(70 * 1024),
                bed.url("/big"));
        // The client may give up itself (it knows our SETTINGS_MAX_HEADER_LIST_SIZE) or get 431; never a 200.
        assertThat(out).doesNotContain("200");
        assertThat(up.count.get()).isZero();
    }
}
