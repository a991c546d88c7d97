package io.ambientjava.waypoint.testsupport;

import io.ambientjava.hbone.NettyTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A loopback HTTPS server with a self-signed certificate of its own for {@code hostname} ({@code <name>.crt} in the
 * directory, for curl's {@code --cacert}), answering every request with "{@code <name>} over passthrough": a backend
 * that a TLS passthrough must reach with the client's TLS untouched.
 */
public final class TlsBackend implements AutoCloseable {

    private final Channel server;

    private TlsBackend(Channel server) {
        this.server = server;
    }

    public static TlsBackend start(EventLoopGroup group, Path dir, String name, String hostname) throws Exception {
        LocalCommands.selfSigned(dir, name, hostname, "pkcs8-rsa");
        SslContext tls = SslContextBuilder.forServer(
                        dir.resolve(name + ".crt").toFile(),
                        dir.resolve(name + ".key").toFile())
                .build();
        Channel server = new ServerBootstrap()
                .group(group)
                .channel(NettyTransport.serverChannelClass(group))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(tls.newHandler(ch.alloc()), new HttpServerCodec());
                        ch.pipeline().addLast(new HttpObjectAggregator(1 << 16));
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<HttpRequest>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, HttpRequest request) {
                                var response = new DefaultFullHttpResponse(
                                        HttpVersion.HTTP_1_1,
                                        HttpResponseStatus.OK,
                                        Unpooled.copiedBuffer(name + " over passthrough", StandardCharsets.UTF_8));
                                response.headers()
                                        .set(
                                                HttpHeaderNames.CONTENT_LENGTH,
                                                response.content().readableBytes());
                                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .syncUninterruptibly()
                .channel();
        return new TlsBackend(server);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
    }
}
