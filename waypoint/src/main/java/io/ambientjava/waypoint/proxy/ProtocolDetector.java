package io.ambientjava.waypoint.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import java.util.List;
import java.util.Optional;

/**
 * Looks at the first bytes on an HTTP listener: the HTTP/2 connection preface means h2 with prior knowledge, a
 * method token and a space mean HTTP/1.1 (which may upgrade to h2c), anything else is proxied as TCP to the
 * port's default cluster.
 */
final class ProtocolDetector extends ByteToMessageDecoder {

    private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();
    private static final int MAX_METHOD_LENGTH = 20;

    private final ProxyRuntime runtime;
    private final DownstreamContext context;

    ProtocolDetector(ProxyRuntime runtime, DownstreamContext context) {
        this.runtime = runtime;
        this.context = context;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int readable = in.readableBytes();
        int prefaceLength = PREFACE.readableBytes();
        int compare = Math.min(readable, prefaceLength);
        boolean prefaceSoFar = ByteBufUtil.equals(in, in.readerIndex(), PREFACE, 0, compare);
        if (prefaceSoFar && readable < prefaceLength) {
            return; // could still be either
        }
        if (prefaceSoFar) {
            DownstreamPipeline.http2(ctx.pipeline(), this, runtime, context);
            ctx.pipeline().remove(this);
            return;
        }
        switch (http1Method(in)) {
            case NEED_MORE -> {}
            case YES -> {
                DownstreamPipeline.http1(ctx.pipeline(), this, runtime, context);
                ctx.pipeline().remove(this);
            }
            case NO -> {
                Optional<String> cluster = runtime.config()
                        .listenerFor(context.listenerAddress(), context.listenerPort())
                        .flatMap(l -> l.kind() instanceof io.ambientjava.waypoint.config.ListenerConfig.Http h
                                ? h.fallbackCluster()
                                : Optional.empty());
                if (cluster.isEmpty()) {
                    ctx.close();
                    in.skipBytes(in.readableBytes());
                    return;
                }
                ctx.pipeline().addAfter(ctx.name(), "tcp-proxy", new TcpProxyHandler(runtime, cluster.get(), context));
                ctx.pipeline().remove(this);
            }
        }
    }

    private enum Verdict {
        YES,
        NO,
        NEED_MORE
    }

    private static Verdict http1Method(ByteBuf in) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        for (int i = 0; i < Math.min(end - start, MAX_METHOD_LENGTH + 1); i++) {
            byte b = in.getByte(start + i);
            if (b == ' ') {
                return i > 0 ? Verdict.YES : Verdict.NO;
            }
            if (!(b >= 'A' && b <= 'Z') && b != '-' && b != '_') {
                return Verdict.NO;
            }
        }
        return end - start > MAX_METHOD_LENGTH ? Verdict.NO : Verdict.NEED_MORE;
    }
}
