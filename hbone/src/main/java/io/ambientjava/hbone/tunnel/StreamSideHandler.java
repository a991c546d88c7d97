package io.ambientjava.hbone.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Frame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * On the stream channel: DATA payloads are written to TCP as they are, and their HTTP/2 window is returned
 * only once TCP has written them; END_STREAM (on DATA or trailers) shuts down TCP output; RST_STREAM resets TCP.
 */
final class StreamSideHandler extends ChannelInboundHandlerAdapter {

    private final Tunnel tunnel;
    private final Channel tcp;
    private List<Http2Frame> earlyFrames;
    private boolean flushPending;

    StreamSideHandler(Tunnel tunnel, List<Http2Frame> earlyFrames) {
        this.tunnel = tunnel;
        this.tcp = tunnel.tcp();
        this.earlyFrames = earlyFrames;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        List<Http2Frame> frames = earlyFrames;
        earlyFrames = List.of();
        for (Http2Frame frame : frames) {
            channelRead(ctx, frame);
        }
        flushTcp();
        tunnel.tcpBecameWritable();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2DataFrame data) {
            onData(ctx, data);
        } else if (msg instanceof Http2HeadersFrame trailers) {
            if (trailers.isEndStream()) {
                flushTcp();
                tunnel.streamInputEnded();
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onData(ChannelHandlerContext ctx, Http2DataFrame data) {
        int window = data.initialFlowControlledBytes();
        boolean end = data.isEndStream();
        if (tunnel.isAborted()) {
            data.release();
            return;
        }
        ByteBuf payload = data.content();
        int bytes = payload.readableBytes();
        if (bytes > 0) {
            tunnel.addBytesToTcp(bytes);
            ChannelPromise written = tcp.newPromise();
            written.addListener(new ReturnWindowWhenWritten(tunnel, window));
            tcp.write(payload, written); // the frame's reference is its payload's: TCP releases it once written
            flushPending = true;
        } else {
            data.release();
            if (window > 0) {
                tunnel.windowReturned(window); // padding only
            }
        }
        if (end) {
            flushTcp();
            tunnel.streamInputEnded();
        } else if (!tcp.isWritable()) {
            ctx.channel().config().setAutoRead(false);
            // TCP may have drained between the check and the switch; its writability event then came too early.
            tunnel.tcpBecameWritable();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushTcp();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2ResetFrame reset) {
            tunnel.abort(TunnelEnd.STREAM_ABORTED, "stream reset by peer: " + describe(reset.errorCode()));
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        tunnel.streamBecameWritable();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        tunnel.abort(TunnelEnd.STREAM_ABORTED, "stream error: " + cause);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        earlyFrames.forEach(ReferenceCountUtil::release);
        earlyFrames = List.of();
    }

    private void flushTcp() {
        if (flushPending) {
            flushPending = false;
            tcp.flush();
        }
    }

    private static String describe(long errorCode) {
        Http2Error error = Http2Error.valueOf(errorCode);
        return error != null ? error.name() : "error code " + errorCode;
    }

    /** Gives the peer its window back once the bytes reached the TCP socket; a failed write aborts the tunnel. */
    private record ReturnWindowWhenWritten(Tunnel tunnel, int window) implements ChannelFutureListener {
        @Override
        public void operationComplete(ChannelFuture future) {
            if (future.isSuccess()) {
                tunnel.windowReturned(window);
            } else {
                tunnel.abort(TunnelEnd.TCP_ABORTED, "write to tcp failed: " + future.cause());
            }
        }
    }
}
