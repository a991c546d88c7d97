package io.ambientjava.waypoint.proxy;

import io.ambientjava.waypoint.upstream.ClusterRuntime;
import io.ambientjava.waypoint.upstream.HostState;
import io.ambientjava.waypoint.upstream.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Proxies a downstream connection's bytes to one endpoint of a cluster (Envoy's tcp_proxy), over plain TCP or
 * HBONE. Bytes that arrive before the upstream is connected are held. Either side closing closes both.
 */
final class TcpProxyHandler extends ChannelInboundHandlerAdapter {

    private final ProxyRuntime runtime;
    private final String clusterName;
    private final DownstreamContext context;
    private final List<Object> early = new ArrayList<>();
    private Channel upstream;
    private boolean closed;

    TcpProxyHandler(ProxyRuntime runtime, String clusterName, DownstreamContext context) {
        this.runtime = runtime;
        this.clusterName = clusterName;
        this.context = context;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        Optional<ClusterRuntime> cluster = runtime.clusters().get(clusterName);
        HostState host =
                cluster.map(c -> c.pick(OptionalLong.empty(), Set.of())).orElse(null);
        if (host == null) {
            ctx.close();
            return;
        }
        Transport transport = cluster.get().transport();
        transport
                .open(
                        host.endpoint(),
                        ctx.channel().eventLoop(),
                        cluster.get().config().connectTimeout(),
                        context.source().orElse(null))
                .whenComplete((ch, error) -> ctx.channel().eventLoop().execute(() -> onUpstream(ctx, ch, error)));
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
        Channel downstream = ctx.channel();
        ch.eventLoop()
                .execute(() -> ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext uctx, Object msg) {
                        downstream.writeAndFlush(msg);
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext uctx) {
                        downstream
                                .writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
                                .addListener(ChannelFutureListener.CLOSE);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext uctx, Throwable cause) {
                        uctx.close();
                    }
                }));
        for (Object msg : early) {
            ch.write(msg);
        }
        early.clear();
        ch.flush();
        ch.closeFuture().addListener(f -> downstream.close());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (upstream == null) {
            early.add(msg);
        } else {
            upstream.writeAndFlush(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        early.forEach(ReferenceCountUtil::release);
        early.clear();
        if (upstream != null) {
            upstream.close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
