package io.ambientjava.waypoint.proxy;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.waypoint.config.ListenerConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SniHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A TCP listener whose connections carry HTTP (or TCP) for one of the waypoint's listeners. The context of each
 * connection (which listener, who is the client) comes from {@code contextOf}; null closes the connection.
 */
public final class DownstreamListener implements AutoCloseable {

    private final Channel server;

    private DownstreamListener(Channel server) {
        this.server = server;
    }

    public static CompletableFuture<DownstreamListener> bind(
            EventLoopGroup group,
            InetSocketAddress address,
            ProxyRuntime runtime,
            Function<Channel, DownstreamContext> contextOf) {
        CompletableFuture<DownstreamListener> result = new CompletableFuture<>();
        var bound = new ServerBootstrap()
                .group(group)
                .channel(NettyTransport.serverChannelClass(group))
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        DownstreamContext context = contextOf.apply(ch);
                        if (context == null) {
                            ch.close();
                            return;
                        }
                        DownstreamPipeline.install(ch, runtime, context);
                    }
                })
                .bind(address);
        bound.addListener(f -> {
            if (f.isSuccess()) {
                result.complete(new DownstreamListener(bound.channel()));
            } else {
                result.completeExceptionally(new IllegalStateException(
                        "cannot bind " + address + ": " + f.cause().getMessage(), f.cause()));
            }
        });
        return result;
    }

    /**
     * A plain listener (ingress, tests): connections are for the waypoint listener at
     * {@code listenerAddress:listenerPort}, from the TCP peer, with no identity. When that listener terminates TLS,
     * each connection starts with a TLS handshake on the context current when it was accepted (chosen by the
     * client's SNI when the listener has a certificate per server name).
     */
    public static CompletableFuture<DownstreamListener> plain(
            EventLoopGroup group,
            InetSocketAddress bind,
            ProxyRuntime runtime,
            String listenerAddress,
            int listenerPort) {
        return bind(group, bind, runtime, ch -> {
            var tls =
                    runtime.config().listenerFor(listenerAddress, listenerPort).flatMap(ListenerConfig::tls);
            tls.ifPresent(t -> {
                if (t.bySni()) {
                    ch.pipeline().addLast(new SniHandler(t::sslContextFor), new ClosingOnUnservedName());
                } else {
                    ch.pipeline()
                            .addLast(t.fallback().orElseThrow().sslContext().newHandler(ch.alloc()));
                }
            });
            return new DownstreamContext(
                    listenerAddress,
                    listenerPort,
                    java.util.Optional.empty(),
                    java.util.Optional.of((InetSocketAddress) ch.remoteAddress()),
                    java.util.Optional.empty(),
                    tls.isPresent());
        });
    }

    /** A server name no filter chain serves ends the connection, as with Envoy when no chain matches. */
    private static final class ClosingOnUnservedName extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SniCompletionEvent sni && !sni.isSuccess()) {
                ctx.close();
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // the SNI lookup's failure (or a TLS failure) reaches here; nothing after TLS can use it
        }
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    public int port() {
        return localAddress().getPort();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
    }
}
