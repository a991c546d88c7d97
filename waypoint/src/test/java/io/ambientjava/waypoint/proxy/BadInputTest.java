package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.waypoint.telemetry.TcpObserver;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.H2Client;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.ambientjava.waypoint.upstream.ClusterRuntime;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the waypoint does with clients that send too much, send it wrong, or stop sending: on HTTP/1.1 and HTTP/2,
 * and that a stalled request gives back everything it held upstream.
 */
class BadInputTest {

    private static final Duration IDLE = Duration.ofMillis(300);

    private final TestBed bed = new TestBed(ProxyLimits.defaults().withStreamIdleTimeout(IDLE), TcpObserver.NONE);
    private final TestUpstream up = bed.upstream("v1");

    @AfterEach
    void close() {
        bed.close();
    }

    private void routeTo(TestUpstream upstream) {
        bed.configure(List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build()));
        bed.cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build(), upstream);
    }

    private void routeTo(InetSocketAddress upstream) {
        bed.configure(List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build()));
        bed.push(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build());
        bed.push(Envoy.plainEndpoints(TestBed.DEFAULT_CLUSTER, List.of(upstream)));
    }

    private ClusterRuntime cluster() {
        return bed.runtime.clusters().get(TestBed.DEFAULT_CLUSTER).orElseThrow();
    }

    private void assertUpstreamReleased() {
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(cluster().limits().activeRequests()).as("requests held").isZero();
            assertThat(cluster().hosts())
                    .allSatisfy(h -> assertThat(h.activeRequests())
                            .as("active requests on " + h)
                            .isZero());
        });
    }

    /** An upstream that takes one connection, reads until it ends and counts that down. */
    private static final class SilentUpstream implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        final CountDownLatch headersSeen = new CountDownLatch(1);
        final CountDownLatch connectionEnded = new CountDownLatch(1);

        SilentUpstream() throws Exception {
            Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    ByteArrayOutputStream got = new ByteArrayOutputStream();
                    byte[] buf = new byte[4096];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        got.write(buf, 0, n);
                        if (got.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
                            headersSeen.countDown();
                        }
                    }
                    connectionEnded.countDown();
                } catch (Exception e) {
                    connectionEnded.countDown(); // reset counts as ended too
                }
            });
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.getLocalSocketAddress();
        }

        @Override
        public void close() throws Exception {
            server.close();
        }
    }

    private static String readAnswer(Socket s) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        try {
            while ((n = s.getInputStream().read(buf)) > 0) {
                got.write(buf, 0, n);
            }
        } catch (java.net.SocketTimeoutException | java.net.SocketException ignored) {
            // whatever came is the answer
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void http1ClientStallingMidBodyGets408AndTheUpstreamConnectionIsClosed() throws Exception {
        try (SilentUpstream upstream = new SilentUpstream();
                Socket s = new Socket(InetAddress.getLoopbackAddress(), bed.listener.port())) {
            routeTo(upstream.address());
            s.setSoTimeout(5000);
            long start = System.nanoTime();
            s.getOutputStream()
                    .write("POST /slow HTTP/1.1\r\nHost: r\r\nContent-Length: 100\r\n\r\nabc"
                            .getBytes(StandardCharsets.US_ASCII));
            assertThat(upstream.headersSeen.await(5, TimeUnit.SECONDS))
                    .as("the request went upstream before the client stalled")
                    .isTrue();
            String answer = readAnswer(s); // the proxy answers and closes
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(answer).startsWith("HTTP/1.1 408").contains("stream timeout");
            assertThat(tookMillis).isGreaterThanOrEqualTo(IDLE.toMillis()).isLessThan(5000);
            assertThat(upstream.connectionEnded.await(5, TimeUnit.SECONDS))
                    .as("the upstream connection of the abandoned request is closed")
                    .isTrue();
            assertUpstreamReleased();
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() ->
                            assertThat(cluster().limits().openConnections()).isZero());
            assertThat(bed.records.getLast().status()).isEqualTo(408);
            assertThat(bed.records.getLast().responseFlags()).isEqualTo("SI");
        }
    }

    @Test
    void http1ClientTricklingPastTheRequestTimeoutGets408() throws Exception {
        try (TestBed slow = new TestBed(
                        ProxyLimits.defaults().withRequestTimeout(Duration.ofMillis(400)), TcpObserver.NONE);
                Socket s = new Socket(InetAddress.getLoopbackAddress(), slow.listener.port())) {
            TestUpstream upstream = slow.upstream("v1");
            slow.configure(
                    List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build()));
            slow.cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build(), upstream);
            s.setSoTimeout(5000);
            var out = s.getOutputStream();
            out.write("POST /trickle HTTP/1.1\r\nHost: r\r\nContent-Length: 100\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            StringBuilder answer = new StringBuilder();
            // one byte every 100 ms never trips the idle timeout, only the overall one
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            int tick = 0;
            try {
                while (answer.isEmpty() && System.nanoTime() < until) {
                    if (s.getInputStream().available() > 0) {
                        answer.append(readAnswer(s));
                    } else if (tick++ % 10 == 0) {
                        out.write('x');
                        out.flush();
                    }
                    Thread.sleep(10);
                }
            } catch (java.io.IOException resetAfterTheAnswer) {
                // the proxy closed; what it said is in its record
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> !slow.records.isEmpty());
            assertThat(slow.records.getLast().status()).isEqualTo(408);
            assertThat(slow.records.getLast().responseFlags()).isEqualTo("SI");
            if (!answer.isEmpty()) {
                assertThat(answer.toString()).startsWith("HTTP/1.1 408").contains("request timeout");
            }
            assertThat(upstream.count.get()).isZero();
        }
    }

    @Test
    void http2StreamStallingMidBodyGets408AndItsUpstreamStreamIsReleased() throws Exception {
        routeTo(up);
        try (RawH2 client = new RawH2(bed)) {
            Http2Headers headers = H2Client.request("POST", "/slow", "reviews").set("content-length", "100");
            var answer = client.send(headers, "abc", false);
            assertThat(answer.get(5, TimeUnit.SECONDS)).isEqualTo("408");
        }
        assertUpstreamReleased();
        assertThat(up.count.get()).as("the upstream never got a whole request").isZero();
        assertThat(bed.records.getLast().status()).isEqualTo(408);
    }

    @Test
    void http2OversizedHeaderListIs431() throws Exception {
        routeTo(up);
        try (RawH2 client = new RawH2(bed)) {
            Http2Headers headers = H2Client.request("GET", "/big", "reviews").set("x-big", "y".repeat(70 * 1024));
            assertThat(client.send(headers, null, true).get(5, TimeUnit.SECONDS))
                    .isIn("431", "reset");
            // the connection survives a stream's error: the next request on it works
            assertThat(client.send(H2Client.request("GET", "/ok", "reviews"), null, true)
                            .get(5, TimeUnit.SECONDS))
                    .isEqualTo("200");
        }
        assertThat(up.seen).extracting(TestUpstream.Seen::uri).containsExactly("/ok");
    }

    @Test
    void http2MalformedPseudoHeadersAreRefused() throws Exception {
        routeTo(up);
        try (RawH2 client = new RawH2(bed)) {
            Http2Headers noPath =
                    new DefaultHttp2Headers(false).method("GET").scheme("http").authority("reviews");
            assertThat(client.send(noPath, null, true).get(5, TimeUnit.SECONDS)).isIn("400", "reset");
            Http2Headers unknownPseudo = unchecked("/p");
            unknownPseudo.add(":bogus", "1");
            assertThat(client.send(unknownPseudo, null, true).get(5, TimeUnit.SECONDS))
                    .isIn("400", "reset");
            Http2Headers upperCase = unchecked("/u");
            upperCase.add("X-Upper", "1");
            assertThat(client.send(upperCase, null, true).get(5, TimeUnit.SECONDS))
                    .isIn("400", "reset");
            Http2Headers connectionSpecific = unchecked("/c");
            connectionSpecific.add("connection", "keep-alive");
            assertThat(client.send(connectionSpecific, null, true).get(5, TimeUnit.SECONDS))
                    .isIn("400", "reset");
        }
        assertThat(up.count.get()).isZero();
    }

    @Test
    void http2BodyShorterThanContentLengthIsRefused() throws Exception {
        routeTo(up);
        try (RawH2 client = new RawH2(bed)) {
            Http2Headers headers = H2Client.request("POST", "/cl", "reviews").set("content-length", "10");
            assertThat(client.send(headers, "abc", true).get(5, TimeUnit.SECONDS))
                    .isIn("400", "reset");
            Http2Headers longer = H2Client.request("POST", "/cl2", "reviews").set("content-length", "2");
            assertThat(client.send(longer, "abcdef", true).get(5, TimeUnit.SECONDS))
                    .isIn("400", "reset");
        }
        assertThat(up.count.get())
                .as("no request with a wrong length reached the upstream")
                .isZero();
        assertUpstreamReleased();
    }

    private static Http2Headers unchecked(String path) {
        return new DefaultHttp2Headers(false)
                .method("GET")
                .path(path)
                .scheme("http")
                .authority("reviews");
    }

    /**
     * An HTTP/2 client that sends what it is told, unchecked (no header validation, no header list limit), and
     * reports each stream's {@code :status} or "reset".
     */
    private static final class RawH2 implements AutoCloseable {
        private final Channel parent;

        RawH2(TestBed bed) {
            parent = new Bootstrap()
                    .group(bed.group)
                    .channel(NettyTransport.socketChannelClass(bed.group))
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline()
                                    .addLast(Http2FrameCodecBuilder.forClient()
                                            .validateHeaders(false)
                                            .encoderIgnoreMaxHeaderListSize(true)
                                            .build());
                            ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                        }
                    })
                    .connect(bed.listener.localAddress())
                    .syncUninterruptibly()
                    .channel();
        }

        CompletableFuture<String> send(Http2Headers headers, String body, boolean end) throws Exception {
            CompletableFuture<String> status = new CompletableFuture<>();
            Http2StreamChannel stream = new Http2StreamChannelBootstrap(parent)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            if (msg instanceof Http2HeadersFrame h
                                    && h.headers().status() != null) {
                                status.complete(h.headers().status().toString());
                            }
                            ReferenceCountUtil.release(msg);
                        }

                        @Override
                        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                            if (evt instanceof Http2ResetFrame) {
                                status.complete("reset");
                            }
                        }

                        @Override
                        public void channelInactive(ChannelHandlerContext ctx) {
                            status.complete("reset");
                        }
                    })
                    .open()
                    .get(5, TimeUnit.SECONDS);
            stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, body == null && end));
            if (body != null) {
                stream.writeAndFlush(
                        new DefaultHttp2DataFrame(Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), end));
            }
            return status;
        }

        @Override
        public void close() {
            parent.close().syncUninterruptibly();
        }
    }
}
