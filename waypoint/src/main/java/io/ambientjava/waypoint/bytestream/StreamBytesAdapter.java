package io.ambientjava.waypoint.bytestream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Frame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes an HBONE stream (an HTTP/2 stream carrying a byte tunnel) look like a byte channel, so an HTTP codec can
 * sit on top of it: DATA frames in become buffers (their window is returned once handed on; a handler that stops
 * reading stops the window), buffers out become DATA frames. The peer ending its side ends the exchange: the
 * stream is closed; on a byte tunnel that keeps half-closed connections ({@link #HALF_CLOSE}) it is an input
 * shutdown instead, and the stream stays open for what this side still sends.
 *
 * <p>Closing differs by side. Towards an endpoint ({@link #closingAtOnce()}) a close resets a stream the peer has
 * not ended, as an abort should. For a client's tunnel ({@link #lingeringOnClose}) a close is what closing a TCP
 * socket is: END_STREAM after everything written (the client sees FIN, not a reset that could cost it the end
 * of the response), then the stream waits up to the linger time for the client to end its side, dropping what
 * it still sends, before it is closed.
 */
public final class StreamBytesAdapter extends ChannelDuplexHandler {

    public static final AttributeKey<Boolean> HALF_CLOSE = AttributeKey.valueOf("waypoint.tunnelHalfClose");

    private final Duration linger;
    private boolean endSent;
    private boolean endReceived;
    private ChannelPromise closing;
    private boolean windowPending;
    private ScheduledFuture<?> lingerTimer;
    private List<Http2Frame> held = List.of();

    private StreamBytesAdapter(Duration linger) {
        this.linger = linger;
    }

    public static StreamBytesAdapter closingAtOnce() {
        return new StreamBytesAdapter(Duration.ZERO);
    }

    public static StreamBytesAdapter lingeringOnClose(Duration linger) {
        if (linger.isNegative() || linger.isZero()) {
            throw new IllegalArgumentException("linger must be positive, was " + linger);
        }
        return new StreamBytesAdapter(linger);
    }

    /** Keeps frames the peer sent before this adapter was in place, for {@link #startReading}. */
    public StreamBytesAdapter holding(List<Http2Frame> early) {
        held = List.copyOf(early);
        return this;
    }

    /**
     * Channel loop, once the handlers that read the bytes are in place: passes on the held frames, then turns
     * auto-read on.
     */
    public static void startReading(Channel ch) {
        StreamBytesAdapter adapter = ch.pipeline().get(StreamBytesAdapter.class);
        if (adapter != null && !adapter.held.isEmpty()) {
            ChannelHandlerContext ctx = ch.pipeline().context(adapter);
            List<Http2Frame> frames = adapter.held;
            adapter.held = List.of();
            for (Http2Frame frame : frames) {
                adapter.channelRead(ctx, frame);
            }
            adapter.channelReadComplete(ctx);
        }
        ch.config().setAutoRead(true);
    }

    private void releaseHeld() {
        held.forEach(ReferenceCountUtil::release);
        held = List.of();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseHeld();
    }

    private void peerEnded(ChannelHandlerContext ctx) {
        endReceived = true;
        if (closing != null) {
            finishClose(ctx);
        } else if (Boolean.TRUE.equals(ctx.channel().attr(HALF_CLOSE).get())) {
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
            if (content.isReadable() && closing == null) {
                ctx.fireChannelRead(content);
            } else {
                content.release();
            }
            if (window > 0 && ctx.channel().isActive()) {
                ctx.write(new DefaultHttp2WindowUpdateFrame(window)); // flushed once per read batch
                windowPending = true;
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
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (windowPending) {
            windowPending = false;
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf buf) {
            if (endSent) {
                buf.release();
                promise.setFailure(new IllegalStateException("this side of the stream has ended"));
                return;
            }
            ctx.write(new DefaultHttp2DataFrame(buf), promise);
            return;
        }
        if ((msg instanceof Http2DataFrame data && data.isEndStream())
                || (msg instanceof Http2HeadersFrame headers && headers.isEndStream())) {
            endSent = true;
        }
        ctx.write(msg, promise);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (linger.isZero() || !ctx.channel().isActive() || (endSent && endReceived)) {
            ctx.close(promise);
            return;
        }
        if (closing != null) {
            closing.addListener(f -> promise.trySuccess());
            return;
        }
        closing = promise;
        if (!endSent) {
            endSent = true;
            ctx.writeAndFlush(new DefaultHttp2DataFrame(true));
        }
        if (endReceived) {
            finishClose(ctx);
        } else {
            ctx.channel().config().setAutoRead(true); // to see the client's END_STREAM
            lingerTimer = ctx.executor().schedule(() -> finishClose(ctx), linger.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void finishClose(ChannelHandlerContext ctx) {
        if (lingerTimer != null) {
            lingerTimer.cancel(false);
            lingerTimer = null;
        }
        ChannelPromise promise = closing;
        ctx.close(promise != null ? promise : ctx.newPromise());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseHeld();
        if (lingerTimer != null) {
            lingerTimer.cancel(false);
            lingerTimer = null;
        }
        ctx.fireChannelInactive();
    }
}
