package io.ambientjava.hbone.testsupport;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.client.ConnectRequest;
import io.ambientjava.hbone.client.HboneClient;
import io.ambientjava.hbone.tunnel.Tunnel;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

/**
 * What ztunnel's outbound does, minus redirection: accepts local TCP connections on 127.0.0.1 and tunnels each
 * through an {@link HboneClient} with the request {@code requestFor} builds for it.
 */
public final class OutboundListener implements AutoCloseable {

    private final Channel server;
    private final Queue<CompletableFuture<Tunnel>> tunnels = new ConcurrentLinkedQueue<>();

    public OutboundListener(EventLoopGroup group, HboneClient client, Function<Channel, ConnectRequest> requestFor) {
        server = new ServerBootstrap()
                .group(group)
                .channel(NettyTransport.serverChannelClass(group))
                .option(ChannelOption.SO_BACKLOG, 2048)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        tunnels.add(client.tunnel(ch, requestFor.apply(ch)));
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .syncUninterruptibly()
                .channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    public Queue<CompletableFuture<Tunnel>> tunnels() {
        return tunnels;
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
    }
}
