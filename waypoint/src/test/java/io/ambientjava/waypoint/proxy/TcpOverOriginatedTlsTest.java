package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.LocalCommands;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TCP proxied over TLS the waypoint originates: the bytes arrive decrypted at a TLS server, and the client's
 * half-close reaches it as TLS's own end (close_notify), not as a bare FIN under the TLS stream, over plain TCP and
 * inside an HBONE tunnel.
 */
@RequiresCommand("openssl")
class TcpOverOriginatedTlsTest {

    @TempDir
    Path keys;

    private final EventLoopGroup group = NettyTransport.newEventLoopGroup(1, "tls-server");

    @AfterEach
    void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final CompletableFuture<String> received = new CompletableFuture<>();
    private final CompletableFuture<Boolean> endAfterTls = new CompletableFuture<>();

    /**
     * A TLS server that keeps what it read when the client's close_notify arrives ({@link #received}), and notes
     * whether the connection's end (FIN, or the tunnel's END_STREAM turned into one) came after it ({@link
     * #endAfterTls}).
     */
    private Channel server() throws Exception {
        LocalCommands.selfSigned(keys, "server", "db.example.com", "sec1-ec");
        SslContext tls = SslContextBuilder.forServer(
                        keys.resolve("server.crt").toFile(),
                        keys.resolve("server.key").toFile())
                .build();
        return new ServerBootstrap()
                .group(group)
                .channel(NettyTransport.serverChannelClass(group))
                .childOption(io.netty.channel.ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        StringBuilder got = new StringBuilder();
                        ch.pipeline().addLast(tls.newHandler(ch.alloc()), new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ByteBuf buf = (ByteBuf) msg;
                                got.append(buf.toString(StandardCharsets.US_ASCII));
                                buf.release();
                            }

                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                                if (event instanceof SslCloseCompletionEvent) {
                                    received.complete(got.toString());
                                } else if (event instanceof ChannelInputShutdownEvent) {
                                    // the stream's own end after TLS's: then this side is done too
                                    endAfterTls.complete(received.isDone());
                                    ctx.close();
                                }
                                ctx.fireUserEventTriggered(event);
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .syncUninterruptibly()
                .channel();
    }

    private static TransportSocket tls() {
        return TransportSocket.newBuilder()
                .setName("envoy.transport_sockets.tls")
                .setTypedConfig(Any.pack(UpstreamTlsContext.newBuilder()
                        .setSni("db.example.com")
                        .setCommonTlsContext(CommonTlsContext.getDefaultInstance())
                        .build()))
                .build();
    }

    private static void send(TestBed bed, String text) throws Exception {
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), bed.listener.port())) {
            client.setSoTimeout(5000);
            client.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            InputStream in = client.getInputStream();
            in.readAllBytes(); // until the waypoint closes, after the server did
        }
    }

    @Test
    void theClientsHalfCloseEndsTheOriginatedTlsOnTcp() throws Exception {
        Channel server = server();
        try (TestBed bed = new TestBed()) {
            bed.push(Envoy.tcpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST));
            bed.push(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER)
                    .setTransportSocket(tls())
                    .build());
            bed.push(Envoy.plainEndpoints(TestBed.DEFAULT_CLUSTER, List.of((InetSocketAddress) server.localAddress())));
            send(bed, "select 1;");
            assertThat(received.get(5, TimeUnit.SECONDS)).isEqualTo("select 1;");
            assertThat(endAfterTls.get(5, TimeUnit.SECONDS)).isTrue();
        } finally {
            server.close();
        }
    }

    @Test
    void theClientsHalfCloseEndsTheOriginatedTlsInsideHbone() throws Exception {
        Channel server = server();
        var destinationZtunnel = io.ambientjava.hbone.server.HboneServer.bind(
                        group,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        io.ambientjava.hbone.server.HboneServerConfig.defaults(
                                io.ambientjava.hbone.server.ServerSecurity.plaintext()),
                        new io.ambientjava.hbone.server.DirectConnector())
                .join();
        try (TestBed bed = new TestBed(
                io.ambientjava.waypoint.telemetry.RequestObserver.NONE,
                io.ambientjava.hbone.client.ClientSecurity.plaintext(),
                destinationZtunnel.port())) {
            bed.push(Envoy.tcpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST));
            bed.push(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER)
                    .setTransportSocket(tls())
                    .build());
            bed.push(Envoy.hboneEndpoints(
                    TestBed.DEFAULT_CLUSTER,
                    (InetSocketAddress) server.localAddress(),
                    "spiffe://cluster.local/ns/default/sa/db"));
            send(bed, "select 2;");
            assertThat(received.get(5, TimeUnit.SECONDS)).isEqualTo("select 2;");
            assertThat(endAfterTls.get(5, TimeUnit.SECONDS)).isTrue();
        } finally {
            destinationZtunnel.close();
            server.close();
        }
    }
}
