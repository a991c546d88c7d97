package io.ambientjava.waypoint.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Makes an HBONE stream (an HTTP/2 stream carrying a byte tunnel) look like a byte channel, so an HTTP codec can
 * sit on top of it: DATA frames in become buffers (their window is returned once handed on), buffers out become
 * DATA frames. The peer ending its side ends the exchange: the stream is closed.
 */
final class StreamBytesAdapter extends ChannelDuplexHandler {

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
                ctx.close();
            }
        } else if (msg instanceof Http2HeadersFrame headers) {
            if (headers.isEndStream()) {
                ctx.close();
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
