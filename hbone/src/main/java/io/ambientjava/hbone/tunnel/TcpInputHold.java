package io.ambientjava.hbone.tunnel;

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
 * Keeps what a TCP channel receives before its tunnel exists. Auto-read off is not enough on its own: when the
 * peer sends data and FIN right away (a request followed by {@code shutdown(SHUT_WR)}), Netty's epoll transport
 * reads up to the FIN anyway, and without a handler those bytes and the FIN would be dropped. The tunnel takes
 * over whatever was held when it starts.
 */
public final class TcpInputHold extends ChannelInboundHandlerAdapter {

    static final String NAME = "hbone-hold";

    private List<ByteBuf> data = new ArrayList<>();
    private boolean inputEnded;
    private Throwable error;

    /** What a hold kept: data in order (owned by the taker), whether the peer's FIN came, the first error. */
    public record Held(List<ByteBuf> data, boolean inputEnded, Throwable error) {
        static final Held NOTHING = new Held(List.of(), false, null);

        /** Frees the held buffers, when nobody will relay them. */
        public void release() {
            data.forEach(ReferenceCountUtil::release);
        }
    }

    /**
     * Event loop of {@code tcp}: adds a hold unless one (or a tunnel) is already there. A plain TCP relay (not a
     * tunnel) may use it too and later {@link #takeOver} what it kept; a tunnel takes over the same hold itself.
     */
    public static void install(Channel tcp) {
        tcp.config().setAutoRead(false);
        tcp.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        tcp.config().setRecvByteBufAllocator(Tunnel.readSizes()); // before the first read creates its handle
        if (tcp.pipeline().get(NAME) == null && tcp.pipeline().get(Tunnel.HANDLER_NAME) == null) {
            tcp.pipeline().addLast(NAME, new TcpInputHold());
        }
    }

    /** Event loop of {@code tcp}: removes the hold, if any, and hands over what it kept. */
    public static Held takeOver(Channel tcp) {
        if (!(tcp.pipeline().get(NAME) instanceof TcpInputHold hold)) {
            return Held.NOTHING;
        }
        Held held = new Held(hold.takeData(), hold.inputEnded, hold.error);
        tcp.pipeline().remove(hold);
        return held;
    }

    /** Event loop of {@code tcp}: fires what a hold kept through the pipeline again, as if it arrived now. */
    public static void replay(Channel tcp, Held held) {
        for (ByteBuf buffer : held.data()) {
            tcp.pipeline().fireChannelRead(buffer);
        }
        if (!held.data().isEmpty()) {
            tcp.pipeline().fireChannelReadComplete();
        }
        if (held.error() != null) {
            tcp.pipeline().fireExceptionCaught(held.error());
        } else if (held.inputEnded()) {
            tcp.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf && data != null) {
            data.add(buf);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputEnded = true;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (error == null) {
            error = cause;
        }
    }

    /** Bytes received so far, in order; the caller owns them. */
    List<ByteBuf> takeData() {
        List<ByteBuf> taken = data;
        data = null;
        return taken == null ? List.of() : taken;
    }

    boolean inputEnded() {
        return inputEnded;
    }

    Throwable error() {
        return error;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (data != null) {
            data.forEach(ReferenceCountUtil::release);
            data = null;
        }
    }
}
