package io.ambientjava.ztunnel.proxy;

import io.ambientjava.hbone.tunnel.Tunnel;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps what a TCP channel receives before ztunnel knows where to send it. Auto-read off is not enough: when the
 * peer sends data and a FIN at once, Netty's epoll transport reads up to the FIN anyway, and without a handler the
 * bytes and the FIN would be lost. Install it as soon as a channel exists (on its event loop); whoever relays the
 * channel later {@link #takeOver takes over} what was held.
 */
public final class InputHold extends ChannelInboundHandlerAdapter {

    static final String NAME = "ztunnel-hold";

    /** What was held: data in order, whether the peer's FIN came, the first error. */
    public record Held(List<ByteBuf> data, boolean inputEnded, Throwable error) {
        static final Held NOTHING = new Held(List.of(), false, null);

        /** Releases the held buffers (when nobody will relay them). */
        public void release() {
            data.forEach(ReferenceCountUtil::release);
        }
    }

    private final List<ByteBuf> data = new ArrayList<>();
    private boolean inputEnded;
    private Throwable error;

    private InputHold() {}

    /** On {@code channel}'s event loop: auto-read off, half-closure allowed, and a hold at the end of its pipeline. */
    public static void install(Channel channel) {
        channel.config().setAutoRead(false);
        channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        if (channel.pipeline().get(NAME) == null) {
            channel.pipeline().addLast(NAME, new InputHold());
        }
    }

    /** On {@code channel}'s event loop: removes the hold (if any) and hands over what it kept. */
    public static Held takeOver(Channel channel) {
        if (!(channel.pipeline().get(NAME) instanceof InputHold hold)) {
            return Held.NOTHING;
        }
        Held held = new Held(List.copyOf(hold.data), hold.inputEnded, hold.error);
        hold.data.clear();
        channel.pipeline().remove(hold);
        return held;
    }

    /**
     * On {@code channel}'s event loop: replays what the hold kept through the pipeline (to a handler added after
     * it), as if it arrived now.
     */
    public static void replay(Channel channel, Held held) {
        for (ByteBuf buffer : held.data()) {
            channel.pipeline().fireChannelRead(buffer);
        }
        if (!held.data().isEmpty()) {
            channel.pipeline().fireChannelReadComplete();
        }
        if (held.error() != null) {
            channel.pipeline().fireExceptionCaught(held.error());
        } else if (held.inputEnded()) {
            channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
    }

    /**
     * On {@code channel}'s event loop: moves what this hold kept into the HBONE tunnel's own hold
     * ({@link Tunnel#holdInput}), which the tunnel takes over when it is spliced.
     */
    public static void handOverToTunnel(Channel channel) {
        Held held = takeOver(channel);
        Tunnel.holdInput(channel);
        replay(channel, held);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buffer) {
            data.add(buffer);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            inputEnded = true;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (error == null) {
            error = cause;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // Buffers are handed over by takeOver; if the channel closed with the hold still in place, free them.
        if (ctx.channel().isOpen()) {
            return;
        }
        data.forEach(ReferenceCountUtil::release);
        data.clear();
    }
}
