package io.ambientjava.perf.l7;

import io.ambientjava.testing.netns.Pod;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The benchmark's HTTP/1.1 server inside a pod: every request is answered 200 with a fixed body of the configured
 * size (keep-alive). The listening socket is created inside the pod; the event loops run wherever they started.
 */
final class HttpPodServer implements AutoCloseable {

    private final Channel server;
    private final AtomicLong requests;

    private HttpPodServer(Channel server, AtomicLong requests) {
        this.server = server;
        this.requests = requests;
    }

    static HttpPodServer start(Pod pod, EventLoopGroup group, int port, int bodyBytes) throws Exception {
        return start(pod, group, port, bodyBytes, Optional.empty());
    }

    /** The same server behind TLS when {@code tls} is given (a server context; whether it asks for a client cert is its own). */
    static HttpPodServer start(Pod pod, EventLoopGroup group, int port, int bodyBytes, Optional<SslContext> tls)
            throws Exception {
        byte[] body = new byte[bodyBytes];
        Arrays.fill(body, (byte) 'x');
        ByteBuf shared =
                Unpooled.unreleasableBuffer(Unpooled.directBuffer(bodyBytes).writeBytes(body));
        AtomicLong requests = new AtomicLong();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        tls.ifPresent(context -> ch.pipeline().addLast(context.newHandler(ch.alloc())));
                        ch.pipeline().addLast(new HttpServerCodec());
                        ch.pipeline().addLast(new HttpServerKeepAliveHandler());
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<HttpObject>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
                                if (msg instanceof HttpRequest) {
                                    requests.incrementAndGet();
                                }
                                if (msg instanceof LastHttpContent) {
                                    FullHttpResponse response = new DefaultFullHttpResponse(
                                            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, shared.duplicate());
                                    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
                                    HttpUtil.setContentLength(response, bodyBytes);
                                    ctx.write(response);
                                }
                            }

                            @Override
                            public void channelReadComplete(ChannelHandlerContext ctx) {
                                ctx.flush();
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                            }
                        });
                    }
                });
        Channel channel = pod.call(() -> bootstrap.bind(new InetSocketAddress("0.0.0.0", port)))
                .sync()
                .channel();
        return new HttpPodServer(channel, requests);
    }

    long requests() {
        return requests.get();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly();
    }
}
