package io.ambientjava.hbone.demo;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.client.ConnectRequest;
import io.ambientjava.hbone.client.HboneClient;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.function.Function;

/** Accepts plain TCP on loopback and tunnels each connection over HBONE, as ztunnel's outbound listener does. */
final class OutboundListener implements AutoCloseable {

    private final Channel channel;

    private OutboundListener(Channel channel) {
        this.channel = channel;
    }

    static OutboundListener start(
            EventLoopGroup group, HboneClient client, Function<Channel, ConnectRequest> requestFor) {
        Channel channel = new ServerBootstrap()
                .group(group)
                .channel(NettyTransport.serverChannelClass(group))
                // The tunnel decides when to read, and a FIN must travel as END_STREAM rather than close.
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        client.tunnel(ch, requestFor.apply(ch)).whenComplete((tunnel, failure) -> {
                            if (failure != null) {
                                ch.close();
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .syncUninterruptibly()
                .channel();
        return new OutboundListener(channel);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
