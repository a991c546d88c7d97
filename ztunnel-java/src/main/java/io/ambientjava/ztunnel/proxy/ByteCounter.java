package io.ambientjava.ztunnel.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.util.Optional;

/**
 * Counts the bytes read from and written to a channel someone else relays (the app side of an inbound HBONE tunnel),
 * and remembers how it ended: a FIN from the peer means it finished normally, an exception that it failed. Put it
 * first in the pipeline; the counts are read from any thread.
 */
public final class ByteCounter extends ChannelDuplexHandler {

    public static final String NAME = "byte-counter";

    private volatile long read;
    private volatile long written;
    private volatile boolean peerFinished;
    private volatile String failure;

    /** Bytes read from the channel's peer. */
    public long read() {
        return read;
    }

    /** Bytes written towards the channel's peer. */
    public long written() {
        return written;
    }

    /** Why the connection did not end cleanly, if it did not (no FIN from the peer, or an error). */
    public Optional<String> error() {
        if (failure != null) {
            return Optional.of(failure);
        }
        return peerFinished ? Optional.empty() : Optional.of("closed before the peer finished");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        read += size(msg);
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        written += size(msg);
        ctx.write(msg, promise);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            peerFinished = true;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (failure == null) {
            failure = cause.getClass().getSimpleName() + ": " + cause.getMessage();
        }
        ctx.fireExceptionCaught(cause);
    }

    private static long size(Object msg) {
        if (msg instanceof ByteBuf buffer) {
            return buffer.readableBytes();
        }
        if (msg instanceof ByteBufHolder holder) {
            return holder.content().readableBytes();
        }
        return 0;
    }
}
