package io.ambientjava.waypoint.testsupport;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.authority.HboneAuthority;
import io.ambientjava.hbone.client.ClientSecurity;
import io.ambientjava.hbone.client.ConnectRequest;
import io.ambientjava.hbone.client.HboneClient;
import io.ambientjava.hbone.client.HboneClientConfig;
import io.ambientjava.identity.SpiffeId;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A client pod's ztunnel, for tests of the mesh path: local ports whose connections it tunnels over HBONE (mutual
 * TLS as the client's identity) to a peer (a waypoint, or a destination ztunnel) for a target address, naming the
 * original client {@link #ORIGINAL_CLIENT} in {@code Forwarded} as ztunnel does.
 */
public final class ClientZtunnel implements AutoCloseable {

    public static final InetSocketAddress ORIGINAL_CLIENT = new InetSocketAddress("198.18.0.5", 43210);

    private final EventLoopGroup group;
    private final ClientSecurity security;
    private final HboneClient hbone;
    private final List<Channel> listeners = new ArrayList<>();

    public ClientZtunnel(EventLoopGroup group, ClientSecurity security) {
        this.group = group;
        this.security = security;
        this.hbone = new HboneClient(group, HboneClientConfig.defaults());
    }

    /** The CONNECT for {@code target} to the peer proving {@code peer} on the loopback port {@code peerPort}. */
    public ConnectRequest connect(SpiffeId peer, int peerPort, InetSocketAddress target) {
        return ConnectRequest.of(
                        security,
                        Set.of(peer),
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), peerPort),
                        HboneAuthority.of(target))
                .withForwardedFor(ORIGINAL_CLIENT);
    }

    /** A loopback port whose every connection is tunnelled as {@link #connect} says. */
    public int outboundPort(SpiffeId peer, int peerPort, InetSocketAddress target) {
        ConnectRequest request = connect(peer, peerPort, target);
        Channel server = new ServerBootstrap()
                .group(group)
                .channel(NettyTransport.serverChannelClass(group))
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        hbone.tunnel(ch, request);
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .syncUninterruptibly()
                .channel();
        listeners.add(server);
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public HboneClient hbone() {
        return hbone;
    }

    @Override
    public void close() {
        listeners.forEach(c -> c.close().syncUninterruptibly());
        hbone.close();
    }
}
