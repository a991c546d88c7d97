package io.ambientjava.hbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ambientjava.hbone.authority.HboneAuthority;
import io.ambientjava.hbone.client.ClientSecurity;
import io.ambientjava.hbone.client.ConnectRequest;
import io.ambientjava.hbone.client.HboneClient;
import io.ambientjava.hbone.client.HboneClientConfig;
import io.ambientjava.hbone.client.HboneConnectException;
import io.ambientjava.hbone.client.HboneStream;
import io.ambientjava.hbone.testsupport.BlockingTcpServer;
import io.ambientjava.hbone.testsupport.HboneTestBed;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Dead peers are found by PING, and a CONNECT nobody answers does not hang. */
@Timeout(30)
class KeepAliveTest {

    private static EventLoopGroup group;

    @BeforeAll
    static void start() {
        group = NettyTransport.newEventLoopGroup(1, "keepalive-test");
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void peerThatStopsAnsweringPingsIsDropped() throws Exception {
        Channel peer = fakePeer(true);
        var config = HboneClientConfig.defaults().withKeepAliveInterval(Duration.ofMillis(300));
        try (var client = new HboneClient(group, config)) {
            HboneStream stream = client.connect(request(peer)).get(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> client.connections().isEmpty());
            assertThat(stream.channel().closeFuture().await(5, TimeUnit.SECONDS))
                    .isTrue();
        } finally {
            peer.close().syncUninterruptibly();
        }
    }

    @Test
    void pingsKeepAnIdleButAliveConnection() throws Exception {
        try (var bed = HboneTestBed.builder(false)
                        .clientConfig(HboneClientConfig.defaults().withKeepAliveInterval(Duration.ofMillis(200)))
                        .serverConfig(c -> c.withKeepAliveInterval(Duration.ofMillis(200)))
                        .start();
                var target = BlockingTcpServer.discard()) {
            HboneStream stream =
                    bed.client.connect(bed.request(target.address())).get(5, TimeUnit.SECONDS);
            Thread.sleep(1500); // several intervals without application traffic
            assertThat(stream.channel().isActive()).isTrue();
            assertThat(bed.client.connections()).hasSize(1);
            assertThat(bed.server.connectionCount()).isEqualTo(1);
            stream.reset();
        }
    }

    @Test
    void connectNobodyAnswersTimesOut() throws Exception {
        Channel peer = fakePeer(false);
        var config = HboneClientConfig.defaults().withConnectTimeout(Duration.ofMillis(500));
        try (var client = new HboneClient(group, config)) {
            assertThatThrownBy(() -> client.connect(request(peer)).get(5, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(HboneConnectException.class)
                    .hasMessageContaining("no answer to CONNECT 127.0.0.1:9");
        } finally {
            peer.close().syncUninterruptibly();
        }
    }

    private static ConnectRequest request(Channel peer) {
        return ConnectRequest.of(
                ClientSecurity.plaintext(),
                Set.of(),
                (InetSocketAddress) peer.localAddress(),
                HboneAuthority.parse("127.0.0.1:9"));
    }

    /** An h2c server that never answers PING; it answers CONNECT with 200 only if {@code answer}. */
    private static Channel fakePeer(boolean answer) {
        return new ServerBootstrap()
                .group(group)
                .channel(NettyTransport.serverChannelClass(group))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast(Http2FrameCodecBuilder.forServer()
                                        .autoAckPingFrame(false)
                                        .build());
                        ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (answer && msg instanceof Http2HeadersFrame) {
                                    ctx.writeAndFlush(
                                            new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")));
                                }
                                ReferenceCountUtil.release(msg);
                            }
                        }));
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ReferenceCountUtil.release(msg); // PING and SETTINGS: ignored
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .syncUninterruptibly()
                .channel();
    }
}
