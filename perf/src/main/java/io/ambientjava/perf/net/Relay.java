package io.ambientjava.perf.net;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Copies what one channel reads into another, one direction; install one on each side of a pair. Reading pauses
 * while the peer's outbound buffer is above its high water mark and resumes when it drains, so a fast sender
 * cannot fill the heap of the process in between.
 */
public final class Relay extends ChannelInboundHandlerAdapter {

    private final Channel peer;

    private Relay(Channel peer) {
        this.peer = peer;
    }

    /** Joins two connected channels both ways and starts reading from both. */
    public static void join(Channel a, Channel b) {
        a.pipeline().addLast("relay", new Relay(b));
        b.pipeline().addLast("relay", new Relay(a));
        a.config().setAutoRead(true);
        b.config().setAutoRead(true);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        peer.write(msg, peer.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // Our own channel drained: the peer may read (and write to us) again.
        if (ctx.channel().isWritable()) {
            peer.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeOnFlush(peer);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
        closeOnFlush(peer);
    }

    /** Closes a channel once what was already written to it is flushed. */
    public static void closeOnFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }
}
