package io.ambientjava.waypoint.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

/**
 * Makes an HBONE stream (an HTTP/2 stream carrying a byte tunnel) look like a byte channel, so an HTTP codec can
 * sit on top of it: DATA frames in become buffers (their window is returned once handed on), buffers out become
 * DATA frames. The peer ending its side ends the exchange: the stream is closed; on a byte tunnel that keeps
 * half-closed connections ({@link #HALF_CLOSE}) it is an input shutdown instead, and the stream stays open for
 * what this side still sends.
 */
final class StreamBytesAdapter extends ChannelDuplexHandler {

    static final AttributeKey<Boolean> HALF_CLOSE = AttributeKey.valueOf("waypoint.tunnelHalfClose");

    private static void peerEnded(ChannelHandlerContext ctx) {
        if (Boolean.TRUE.equals(ctx.channel().attr(HALF_CLOSE).get())) {
            ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        } else {
            ctx.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2DataFrame data) {
            int window = data.initialFlowControlledBytes();
            boolean end = data.isEndStream();
            ByteBuf content = data.content().retain();
            data.release();
            if (content.isReadable()) {
                ctx.fireChannelRead(content);
            } else {
                content.release();
            }
            if (window > 0 && ctx.channel().isActive()) {
                ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(window));
            }
            if (end) {
                peerEnded(ctx);
            }
        } else if (msg instanceof Http2HeadersFrame headers) {
            if (headers.isEndStream()) {
                peerEnded(ctx);
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf buf) {
            ctx.write(new DefaultHttp2DataFrame(buf), promise);
        } else {
            ctx.write(msg, promise);
        }
    }
}
