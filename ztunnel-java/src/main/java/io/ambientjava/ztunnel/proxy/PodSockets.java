package io.ambientjava.ztunnel.proxy;

import io.ambientjava.hbone.tunnel.TcpInputHold;
import io.ambientjava.ztunnel.inpod.netns.NettyInNetns;
import io.ambientjava.ztunnel.inpod.netns.NetworkNamespace;
import io.ambientjava.ztunnel.inpod.netns.SocketOptions;
import io.ambientjava.ztunnel.proxy.pool.PodDialer;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Creates one pod's sockets inside its network namespace, every one marked with ztunnel's mark (0x539) so the
 * pod's redirection rules let ztunnel's own traffic pass. Only socket creation happens on the netns worker; the
 * channels live on the caller's event loops in ztunnel's own namespace.
 */
public final class PodSockets {

    /** Holds what arrives before the connection is relayed (an app may send and close right away). */
    private static final ChannelInitializer<Channel> HOLD_INPUT = new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel ch) {
            TcpInputHold.install(ch);
        }
    };

    private final String podUid;
    private final NetworkNamespace netns;
    private final NettyInNetns netty;
    private final Duration connectTimeout;
    private final PodDialer dialer;

    public PodSockets(String podUid, NetworkNamespace netns, NettyInNetns netty, Duration connectTimeout) {
        this.podUid = Objects.requireNonNull(podUid, "podUid");
        this.netns = Objects.requireNonNull(netns, "netns");
        this.netty = Objects.requireNonNull(netty, "netty");
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.dialer = new PodDialer(podUid, netty.channelFactory(netns, markedSocket(), connectTimeout));
    }

    public String podUid() {
        return podUid;
    }

    public NetworkNamespace netns() {
        return netns;
    }

    /**
     * Binds {@code bootstrap} (group, child handler and options set; no channel class) to the wildcard address on
     * {@code port} inside the pod.
     */
    public CompletableFuture<Channel> listen(ServerBootstrap bootstrap, int port) {
        bootstrap.channelFactory(
                SocketOptions.<ServerSocketChannel>marked(EpollServerSocketChannel::new, SocketOptions.ZTUNNEL_MARK));
        return netty.bindInNetns(netns, bootstrap, new InetSocketAddress(port));
    }

    /** As {@link #listen(ServerBootstrap, int)}, on one local address of the pod (e.g. 127.0.0.1). */
    public CompletableFuture<Channel> listen(ServerBootstrap bootstrap, InetSocketAddress local) {
        bootstrap.channelFactory(
                SocketOptions.<ServerSocketChannel>marked(EpollServerSocketChannel::new, SocketOptions.ZTUNNEL_MARK));
        return netty.bindInNetns(netns, bootstrap, local);
    }

    /**
     * Binds a UDP socket inside the pod, marked like every ztunnel socket ({@code bootstrap}: group and handler
     * set, no channel class); port 0 for a client socket.
     */
    public CompletableFuture<Channel> bindUdp(Bootstrap bootstrap, InetSocketAddress local) {
        bootstrap.channelFactory(
                SocketOptions.<DatagramChannel>marked(EpollDatagramChannel::new, SocketOptions.ZTUNNEL_MARK));
        return netty.bindInNetns(netns, bootstrap, local);
    }

    /**
     * Connects a plain TCP client socket (marked, {@code bootstrap}: group and handler set, no channel class) to
     * {@code target} from inside the pod; the bootstrap's own options and handler apply unchanged.
     */
    public CompletableFuture<Channel> connectPlain(Bootstrap bootstrap, InetSocketAddress target) {
        bootstrap.channelFactory(markedSocket());
        return netty.connectInNetns(netns, bootstrap, target);
    }

    /**
     * Connects to {@code target} from inside the pod, on {@code loop}, with auto-read off, half-closure allowed and an
     * {@link io.ambientjava.hbone.tunnel.TcpInputHold} in place.
     *
     * @param transparentSource when present, the socket is {@code IP_TRANSPARENT} and bound to this address (port 0):
     *     the original client's address, which the app then sees as the source
     */
    public CompletableFuture<Channel> connect(
            EventLoop loop, InetSocketAddress target, Optional<InetAddress> transparentSource) {
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channelFactory(markedSocket())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(HOLD_INPUT);
        transparentSource.ifPresent(source -> bootstrap
                .option(EpollChannelOption.IP_TRANSPARENT, true)
                .localAddress(new InetSocketAddress(source, 0)));
        return netty.connectInNetns(netns, bootstrap, target);
    }

    /** How HBONE connections from this pod are dialed: from inside its namespace, marked. */
    public PodDialer dialer() {
        return dialer;
    }

    private static io.netty.channel.ChannelFactory<EpollSocketChannel> markedSocket() {
        return SocketOptions.marked(EpollSocketChannel::new, SocketOptions.ZTUNNEL_MARK);
    }

    @Override
    public String toString() {
        return "pod " + podUid + " (" + netns + ")";
    }
}
