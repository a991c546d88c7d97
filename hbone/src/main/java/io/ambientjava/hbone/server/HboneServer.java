package io.ambientjava.hbone.server;

import io.ambientjava.hbone.NettyTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HBONE listener (port 15008 in a mesh): mTLS, HTTP/2, CONNECT streams handed to a {@link HboneConnector}.
 *
 * <p>Binding is pluggable: the customizer sees the {@link ServerBootstrap} before bind, so a caller can supply
 * a channel factory that creates the socket inside another network namespace, or set socket options.
 */
public final class HboneServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HboneServer.class);

    private final Channel serverChannel;
    private final ChannelGroup connections;

    private HboneServer(Channel serverChannel, ChannelGroup connections) {
        this.serverChannel = serverChannel;
        this.connections = connections;
    }

    /** Binds {@code address} on {@code group} (epoll when the group is epoll). */
    public static CompletableFuture<HboneServer> bind(
            EventLoopGroup group, SocketAddress address, HboneServerConfig config, HboneConnector connector) {
        return bind(group, address, config, connector, bootstrap -> {});
    }

    /**
     * Binds {@code address} after {@code customizer} adjusted the bootstrap (channel factory, options).
     *
     * @return completes with the listening server, or exceptionally when the bind fails
     */
    public static CompletableFuture<HboneServer> bind(
            EventLoopGroup group,
            SocketAddress address,
            HboneServerConfig config,
            HboneConnector connector,
            Consumer<ServerBootstrap> customizer) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(customizer, "customizer");
        NettyTransport.checkHalfCloseSafe(group);
        var initializer = new HboneServerInitializer(config, connector);
        ChannelGroup connections = new DefaultChannelGroup("hbone-connections", GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NettyTransport.serverChannelClass(group))
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast(initializer);
                    }
                });
        customizer.accept(bootstrap);
        CompletableFuture<HboneServer> result = new CompletableFuture<>();
        ChannelFuture bound = bootstrap.bind(address);
        bound.addListener(f -> {
            if (f.isSuccess()) {
                log.info("HBONE server listening on {}", bound.channel().localAddress());
                result.complete(new HboneServer(bound.channel(), connections));
            } else {
                result.completeExceptionally(new IllegalStateException(
                        "cannot bind HBONE server to " + address + ": "
                                + f.cause().getMessage(),
                        f.cause()));
            }
        });
        return result;
    }

    public SocketAddress localAddress() {
        return serverChannel.localAddress();
    }

    /** The bound port, for servers bound to port 0. */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Open HBONE connections (each carries any number of tunnels). */
    public int connectionCount() {
        return connections.size();
    }

    /**
     * Stops listening and sends GOAWAY on every connection: clients open no new streams on them, open tunnels
     * carry on for up to {@code grace}, then whatever is left is closed.
     *
     * @return completes when every connection is closed
     */
    public CompletableFuture<Void> drain(Duration grace) {
        serverChannel.close();
        CompletableFuture<Void> drained = new CompletableFuture<>();
        connections.newCloseFuture().addListener(f -> drained.complete(null));
        for (Channel connection : connections) {
            connection.eventLoop().execute(() -> {
                Http2FrameCodec codec = connection.pipeline().get(Http2FrameCodec.class);
                if (codec != null) {
                    codec.gracefulShutdownTimeoutMillis(grace.toMillis());
                }
                connection.close(); // the codec sends GOAWAY and waits for streams up to the grace period
            });
        }
        return drained;
    }

    /** Stops listening and closes every connection now (GOAWAY, then close; their tunnels are reset). */
    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        connections.close().awaitUninterruptibly();
    }
}
