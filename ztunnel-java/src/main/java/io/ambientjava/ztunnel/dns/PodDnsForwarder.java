package io.ambientjava.ztunnel.dns;

import io.ambientjava.ztunnel.proxy.PodSockets;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Forwards a query from inside the pod's network namespace, from a fresh socket (random source port) marked 0x539
 * so the pod's DNS redirection lets it out, as the pod itself would have sent it: over UDP, or over TCP for
 * queries that came over TCP (a client switches to TCP for answers too big for UDP). Upstreams are tried in order,
 * each for the configured time; only an answer from the upstream asked, with the query's id, counts.
 */
public final class PodDnsForwarder implements DnsForwarder {
    private static final int MAX_TCP_MESSAGE = 65535;

    /** How queries travel to the upstream. */
    public enum Transport {
        UDP,
        TCP
    }

    private final Transport transport;
    private final PodSockets sockets;
    private final EventLoopGroup group;
    private final List<InetSocketAddress> upstreams;
    private final Duration timeout;

    public PodDnsForwarder(
            Transport transport,
            PodSockets sockets,
            EventLoopGroup group,
            List<InetSocketAddress> upstreams,
            Duration timeout) {
        this.transport = transport;
        this.sockets = sockets;
        this.group = group;
        this.upstreams = List.copyOf(upstreams);
        this.timeout = timeout;
    }

    @Override
    public CompletableFuture<ByteBuf> forward(ByteBuf query) {
        if (upstreams.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalStateException("no upstream resolver configured"));
        }
        ByteBuf copy = query.copy();
        CompletableFuture<ByteBuf> answer = tryFrom(0, copy);
        answer.whenComplete((ok, failure) -> copy.release());
        return answer;
    }

    private CompletableFuture<ByteBuf> tryFrom(int index, ByteBuf query) {
        InetSocketAddress upstream = upstreams.get(index);
        return once(upstream, query)
                .handle((answer, failure) -> {
                    if (failure == null) {
                        return CompletableFuture.completedFuture(answer);
                    }
                    if (index + 1 < upstreams.size()) {
                        return tryFrom(index + 1, query);
                    }
                    return CompletableFuture.<ByteBuf>failedFuture(failure);
                })
                .thenCompose(f -> f);
    }

    private CompletableFuture<ByteBuf> once(InetSocketAddress upstream, ByteBuf query) {
        return transport == Transport.UDP ? onceOverUdp(upstream, query) : onceOverTcp(upstream, query);
    }

    private CompletableFuture<ByteBuf> onceOverTcp(InetSocketAddress upstream, ByteBuf query) {
        CompletableFuture<ByteBuf> answer = new CompletableFuture<>();
        Optional<Integer> id = DnsWire.id(query);
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline()
                                .addLast(new LengthFieldBasedFrameDecoder(MAX_TCP_MESSAGE + 2, 0, 2, 0, 2))
                                .addLast(new LengthFieldPrepender(2))
                                .addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf message) {
                                        if (DnsWire.id(message).equals(id) && answer.complete(message.retain())) {
                                            ctx.close();
                                        }
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        answer.completeExceptionally(
                                                new IllegalStateException(upstream + " closed without an answer"));
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        answer.completeExceptionally(cause);
                                        ctx.close();
                                    }
                                });
                    }
                });
        sockets.connectPlain(bootstrap, upstream).whenComplete((channel, failure) -> {
            if (failure != null) {
                answer.completeExceptionally(failure);
                return;
            }
            answer.whenComplete((ok, error) -> channel.close());
            channel.writeAndFlush(query.retainedDuplicate());
            channel.eventLoop()
                    .schedule(
                            () -> answer.completeExceptionally(
                                    new TimeoutException("no answer from " + upstream + " within " + timeout)),
                            timeout.toMillis(),
                            TimeUnit.MILLISECONDS);
        });
        return answer;
    }

    private CompletableFuture<ByteBuf> onceOverUdp(InetSocketAddress upstream, ByteBuf query) {
        CompletableFuture<ByteBuf> answer = new CompletableFuture<>();
        Optional<Integer> id = DnsWire.id(query);
        Bootstrap bootstrap = new Bootstrap().group(group).handler(new SimpleChannelInboundHandler<DatagramPacket>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                if (packet.sender().equals(upstream)
                        && DnsWire.id(packet.content()).equals(id)) {
                    if (answer.complete(packet.content().retain())) {
                        ctx.close();
                    } else {
                        packet.content().release();
                    }
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                answer.completeExceptionally(cause);
                ctx.close();
            }
        });
        sockets.bindUdp(bootstrap, new InetSocketAddress(0)).whenComplete((channel, failure) -> {
            if (failure != null) {
                answer.completeExceptionally(failure);
                return;
            }
            send(channel, upstream, query, answer);
        });
        return answer;
    }

    private void send(Channel channel, InetSocketAddress upstream, ByteBuf query, CompletableFuture<ByteBuf> answer) {
        answer.whenComplete((ok, failure) -> channel.close());
        channel.writeAndFlush(new DatagramPacket(query.retainedDuplicate(), upstream))
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        answer.completeExceptionally(f.cause());
                    }
                });
        channel.eventLoop()
                .schedule(
                        () -> answer.completeExceptionally(
                                new TimeoutException("no answer from " + upstream + " within " + timeout)),
                        timeout.toMillis(),
                        TimeUnit.MILLISECONDS);
    }
}
