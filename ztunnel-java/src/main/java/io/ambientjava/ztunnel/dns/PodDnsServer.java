package io.ambientjava.ztunnel.dns;

import io.ambientjava.ztunnel.proxy.PodSockets;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pod's DNS proxy: UDP and TCP on 127.0.0.1:15053 inside the pod's network namespace, where the pod's
 * nftables rules redirect its DNS traffic (a redirected packet arrives for 127.0.0.1, so UDP answers leave from
 * the address the kernel's NAT expects to reverse). Queries go through a {@link DnsQueryHandler}; names outside
 * the mesh are forwarded from inside the pod ({@link PodDnsForwarder}), over the transport the query came on.
 */
public final class PodDnsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PodDnsServer.class);
    private static final int MAX_TCP_MESSAGE = 65535;
    private static final int TCP_IDLE_SECONDS = 30;

    private final List<Channel> listeners;
    private final Set<Channel> tcpConnections;

    private PodDnsServer(List<Channel> listeners, Set<Channel> tcpConnections) {
        this.listeners = listeners;
        this.tcpConnections = tcpConnections;
    }

    /**
     * Opens both listeners in the pod; {@code clientNamespace} tells the asking pod's namespace (for short names),
     * looked up per query as the workload may arrive after the pod.
     */
    public static CompletableFuture<PodDnsServer> start(
            PodSockets sockets,
            EventLoopGroup group,
            DnsSettings settings,
            DnsQueryHandler handler,
            Supplier<Optional<String>> clientNamespace) {
        DnsForwarder overUdp = new PodDnsForwarder(
                PodDnsForwarder.Transport.UDP, sockets, group, settings.upstreams(), settings.upstreamTimeout());
        DnsForwarder overTcp = new PodDnsForwarder(
                PodDnsForwarder.Transport.TCP, sockets, group, settings.upstreams(), settings.upstreamTimeout());
        InetSocketAddress local = new InetSocketAddress(InetAddress.getLoopbackAddress(), settings.port());
        Set<Channel> connections = ConcurrentHashMap.newKeySet();
        Bootstrap udp = new Bootstrap()
                .group(group)
                .handler(new UdpQueries(handler, overUdp, clientNamespace, sockets.podUid()));
        ServerBootstrap tcp = new ServerBootstrap().group(group).childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                connections.add(channel);
                channel.closeFuture().addListener(f -> connections.remove(channel));
                channel.pipeline()
                        .addLast(new ReadTimeoutHandler(TCP_IDLE_SECONDS, TimeUnit.SECONDS))
                        .addLast(new LengthFieldBasedFrameDecoder(MAX_TCP_MESSAGE + 2, 0, 2, 0, 2))
                        .addLast(new LengthFieldPrepender(2))
                        .addLast(new TcpQueries(handler, overTcp, clientNamespace, sockets.podUid()));
            }
        });
        CompletableFuture<Channel> udpBound = sockets.bindUdp(udp, local);
        CompletableFuture<Channel> tcpBound = sockets.listen(tcp, local);
        return udpBound.thenCombine(tcpBound, (u, t) -> new PodDnsServer(List.of(u, t), connections))
                .whenComplete((server, failure) -> {
                    if (failure != null) {
                        udpBound.thenAccept(Channel::close);
                        tcpBound.thenAccept(Channel::close);
                    }
                });
    }

    public List<Channel> listeners() {
        return listeners;
    }

    @Override
    public void close() {
        listeners.forEach(Channel::close);
        tcpConnections.forEach(Channel::close);
    }

    private static final class UdpQueries extends SimpleChannelInboundHandler<DatagramPacket> {
        private final DnsQueryHandler handler;
        private final DnsForwarder forwarder;
        private final Supplier<Optional<String>> clientNamespace;
        private final String pod;

        UdpQueries(
                DnsQueryHandler handler,
                DnsForwarder forwarder,
                Supplier<Optional<String>> clientNamespace,
                String pod) {
            this.handler = handler;
            this.forwarder = forwarder;
            this.clientNamespace = clientNamespace;
            this.pod = pod;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            InetSocketAddress client = packet.sender();
            ByteBuf query = packet.content().retain();
            handler.handle(query, ctx.alloc(), clientNamespace.get(), forwarder).whenComplete((answer, failure) -> {
                query.release();
                if (answer == null) {
                    return;
                }
                if (ctx.channel().isActive()) {
                    ctx.writeAndFlush(new DatagramPacket(answer, client));
                } else {
                    answer.release();
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // one bad datagram must not take the listener down
            log.debug("pod {}: DNS over UDP: {}", pod, cause.toString());
        }
    }

    private static final class TcpQueries extends SimpleChannelInboundHandler<ByteBuf> {
        private final DnsQueryHandler handler;
        private final DnsForwarder forwarder;
        private final Supplier<Optional<String>> clientNamespace;
        private final String pod;

        TcpQueries(
                DnsQueryHandler handler,
                DnsForwarder forwarder,
                Supplier<Optional<String>> clientNamespace,
                String pod) {
            this.handler = handler;
            this.forwarder = forwarder;
            this.clientNamespace = clientNamespace;
            this.pod = pod;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf message) {
            ByteBuf query = message.retain();
            handler.handle(query, ctx.alloc(), clientNamespace.get(), forwarder).whenComplete((answer, failure) -> {
                query.release();
                if (answer == null) {
                    return;
                }
                if (ctx.channel().isActive()) {
                    ctx.writeAndFlush(answer);
                } else {
                    answer.release();
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("pod {}: DNS over TCP: {}", pod, cause.toString());
            ctx.close();
        }
    }
}
