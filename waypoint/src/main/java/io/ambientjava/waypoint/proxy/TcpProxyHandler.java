package io.ambientjava.waypoint.proxy;

import io.ambientjava.waypoint.config.ListenerConfig;
import io.ambientjava.waypoint.telemetry.TcpConnectionInfo;
import io.ambientjava.waypoint.telemetry.TcpObserver;
import io.ambientjava.waypoint.upstream.ClusterRuntime;
import io.ambientjava.waypoint.upstream.HostState;
import io.ambientjava.waypoint.upstream.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Proxies a downstream connection's bytes to one endpoint of a cluster (Envoy's tcp_proxy), over plain TCP or
 * HBONE. Bytes that arrive before the upstream is connected are held. Half-close passes both ways: the client's
 * FIN becomes a FIN (or END_STREAM) towards the endpoint, which may still answer, and the endpoint's end becomes
 * a FIN to the client; the connection closes once both directions have ended, or when either side goes away.
 * Both sides are closed after the idle timeout without a byte either way, and when the connection reaches its
 * maximum duration. Istio's TCP metrics hear of the connection, its bytes and its close.
 */
final class TcpProxyHandler extends ChannelInboundHandlerAdapter {

    private final ProxyRuntime runtime;
    private final String clusterName;
    private final DownstreamContext context;
    private final List<Object> early = new ArrayList<>();
    private Channel downstream;
    private Channel upstream;
    private boolean closed;
    private boolean clientEnded;
    private boolean clientEndPending;
    private boolean endpointEnded;
    private TcpObserver.Connection telemetry = TcpObserver.Connection.NONE;
    private final Optional<Duration> idleTimeout;
    private final Optional<Duration> maxDuration;
    /** System.nanoTime() of the last byte either way; written on both sides' loops. */
    private volatile long lastActivityNanos;

    private ScheduledFuture<?> idleCheck;
    private ScheduledFuture<?> durationLimit;

    /** A TCP proxy with Envoy's defaults: a 1 h idle timeout, no maximum duration. */
    TcpProxyHandler(ProxyRuntime runtime, String clusterName, DownstreamContext context) {
        this(runtime, clusterName, Optional.of(ListenerConfig.Tcp.DEFAULT_IDLE_TIMEOUT), Optional.empty(), context);
    }

    TcpProxyHandler(
            ProxyRuntime runtime,
            String clusterName,
            Optional<Duration> idleTimeout,
            Optional<Duration> maxDuration,
            DownstreamContext context) {
        this.runtime = runtime;
        this.clusterName = clusterName;
        this.idleTimeout = idleTimeout;
        this.maxDuration = maxDuration;
        this.context = context;
    }

    /** The TCP proxy of a listener's filter chain, to its only cluster or to one picked by weight. */
    static TcpProxyHandler forChain(ProxyRuntime runtime, ListenerConfig.Tcp tcp, DownstreamContext context) {
        String cluster = tcp.clusters().size() == 1
                ? tcp.clusters().getFirst().cluster()
                : tcp.pick(ThreadLocalRandom.current().nextInt(tcp.totalWeight()));
        return new TcpProxyHandler(runtime, cluster, tcp.idleTimeout(), tcp.maxConnectionDuration(), context);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        downstream = ctx.channel();
        lastActivityNanos = System.nanoTime();
        idleTimeout.ifPresent(idle -> scheduleIdleCheck(ctx, idle.toNanos()));
        maxDuration.ifPresent(
                max -> durationLimit = ctx.executor().schedule(() -> ctx.close(), max.toNanos(), TimeUnit.NANOSECONDS));
        Transport.keepHalfClosed(downstream);
        Optional<ClusterRuntime> cluster = runtime.clusters().get(clusterName);
        HostState host = cluster.map(c -> c.pick(OptionalLong.empty(), Set.of(), context.originalDestination()))
                .orElse(null);
        telemetry = runtime.tcpObserver().opened(info(host));
        if (host == null) {
            ctx.close();
            return;
        }
        Transport transport = cluster.get().transport();
        transport
                .open(
                        host.endpoint(),
                        cluster.get().config(),
                        ctx.channel().eventLoop(),
                        context.source().orElse(null))
                .whenComplete((ch, error) -> {
                    if (ch != null) {
                        // On the upstream's loop, before it reads: nothing it sends may pass unseen.
                        Transport.keepHalfClosed(ch);
                        ch.pipeline().addLast(new EndpointSide());
                        Transport.startReading(ch);
                    }
                    ctx.channel().eventLoop().execute(() -> onUpstream(ctx, ch, error));
                });
    }

    private TcpConnectionInfo info(HostState host) {
        var endpoint = host == null ? null : host.endpoint();
        String[] clusterParts = clusterName.split("\\|", -1);
        return new TcpConnectionInfo(
                clusterParts.length == 4 ? clusterParts[3] : "unknown",
                endpoint == null ? Optional.empty() : endpoint.workload(),
                endpoint == null ? Optional.empty() : endpoint.identity(),
                context.peerPrincipal(),
                context.sourceWorkload(),
                context.peerIdentity().isPresent(),
                host == null ? "UH" : "-");
    }

    /** Downstream loop: closes both sides once nothing has passed for the idle timeout, else looks again then. */
    private void scheduleIdleCheck(ChannelHandlerContext ctx, long delayNanos) {
        idleCheck = ctx.executor()
                .schedule(
                        () -> {
                            long idleFor = System.nanoTime() - lastActivityNanos;
                            long limit = idleTimeout.orElseThrow().toNanos();
                            if (idleFor >= limit) {
                                ctx.close();
                            } else if (!closed) {
                                scheduleIdleCheck(ctx, limit - idleFor);
                            }
                        },
                        delayNanos,
                        TimeUnit.NANOSECONDS);
    }

    /** What the endpoint sends and how it ends, on the upstream's loop. */
    private final class EndpointSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext uctx, Object msg) {
            if (msg instanceof ByteBuf buf) {
                lastActivityNanos = System.nanoTime();
                telemetry.sent(buf.readableBytes());
                downstream.writeAndFlush(buf);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext uctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                downstream.eventLoop().execute(TcpProxyHandler.this::onEndpointEnded);
            }
            uctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext uctx) {
            // whatever was written to the client goes out before it is closed
            downstream.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            uctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext uctx, Throwable cause) {
            uctx.close();
        }
    }

    private void onUpstream(ChannelHandlerContext ctx, Channel ch, Throwable error) {
        if (error != null || closed) {
            if (ch != null) {
                ch.close();
            }
            ctx.close();
            return;
        }
        upstream = ch;
        for (Object msg : early) {
            ch.write(msg);
        }
        early.clear();
        ch.flush();
        if (clientEndPending) {
            endClientSide();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        lastActivityNanos = System.nanoTime();
        telemetry.received(buf.readableBytes());
        if (upstream == null) {
            early.add(msg);
        } else {
            upstream.writeAndFlush(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            if (upstream == null) {
                clientEndPending = true;
            } else {
                endClientSide();
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** Downstream loop: the client sent FIN; the endpoint hears the same after the bytes before it. */
    private void endClientSide() {
        clientEndPending = false;
        if (clientEnded) {
            return;
        }
        clientEnded = true;
        Channel up = upstream;
        up.eventLoop()
                .execute(() -> Transport.shutdownOutput(up).addListener(f -> {
                    if (!f.isSuccess()) {
                        up.close();
                    }
                }));
        closeIfBothEnded();
    }

    /** Downstream loop: the endpoint ended its side; the client gets a FIN after what came before it. */
    private void onEndpointEnded() {
        if (endpointEnded || closed) {
            return;
        }
        endpointEnded = true;
        downstream.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> Transport.shutdownOutput(downstream));
        closeIfBothEnded();
    }

    private void closeIfBothEnded() {
        if (clientEnded && endpointEnded) {
            downstream.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        if (idleCheck != null) {
            idleCheck.cancel(false);
        }
        if (durationLimit != null) {
            durationLimit.cancel(false);
        }
        early.forEach(ReferenceCountUtil::release);
        early.clear();
        if (upstream != null) {
            upstream.close();
        }
        telemetry.closed();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
