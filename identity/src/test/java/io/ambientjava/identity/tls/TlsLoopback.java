package io.ambientjava.identity.tls;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;

/** Two Netty NIO channels over 127.0.0.1 doing one TLS handshake; each side reports what it saw. */
final class TlsLoopback implements AutoCloseable {

    /** What one side saw when its handshake completed. */
    record Outcome(SslHandler handler, SSLSession session, String applicationProtocol, String protocol) {}

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    /** Outcomes of server and client; each future fails with the side's handshake error. */
    record Handshake(CompletableFuture<Outcome> server, CompletableFuture<Outcome> client) {}

    Handshake handshake(SslContext serverContext, SslContext clientContext) throws InterruptedException {
        CompletableFuture<Outcome> server = new CompletableFuture<>();
        CompletableFuture<Outcome> client = new CompletableFuture<>();
        Channel listener = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(initializer(serverContext, server))
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .sync()
                .channel();
        Channel connection = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .handler(initializer(clientContext, client))
                .connect(listener.localAddress())
                .sync()
                .channel();
        CompletableFuture.allOf(server, client)
                .handle((ignored, error) -> null)
                .orTimeout(5, TimeUnit.SECONDS)
                .whenComplete((ignored, error) -> {
                    connection.close();
                    listener.close();
                });
        return new Handshake(server, client);
    }

    static Outcome await(CompletableFuture<Outcome> side) throws Exception {
        return side.get(5, TimeUnit.SECONDS);
    }

    /** The failure a side reported, unwrapped. */
    static Throwable failureOf(CompletableFuture<Outcome> side) throws Exception {
        try {
            Outcome outcome = side.get(5, TimeUnit.SECONDS);
            throw new AssertionError("handshake unexpectedly succeeded with " + outcome);
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    private static ChannelInitializer<SocketChannel> initializer(
            SslContext context, CompletableFuture<Outcome> result) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                channel.pipeline().addLast(context.newHandler(channel.alloc()));
                channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                        if (event instanceof SslHandshakeCompletionEvent done) {
                            if (done.isSuccess()) {
                                SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                                SSLSession session = ssl.engine().getSession();
                                result.complete(
                                        new Outcome(ssl, session, ssl.applicationProtocol(), session.getProtocol()));
                            } else {
                                result.completeExceptionally(done.cause());
                            }
                        }
                        ctx.fireUserEventTriggered(event);
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        result.completeExceptionally(new IllegalStateException("closed before the handshake finished"));
                        ctx.fireChannelInactive();
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        result.completeExceptionally(cause);
                        ctx.close();
                    }
                });
            }
        };
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
