package io.ambientjava.perf.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.util.ArrayDeque;
import java.util.function.Function;

/**
 * The last handler of an accepted connection in a tunnel: opens the onward connection, holds whatever arrives
 * meanwhile (and stops reading until the onward side is ready), then hands both channels to {@link Relay}.
 */
public final class DialThenRelay extends ChannelInboundHandlerAdapter {

    /** When to dial: as soon as the connection is accepted, or once its TLS handshake succeeded. */
    public enum Trigger {
        ON_ACCEPT,
        AFTER_TLS_HANDSHAKE
    }

    private final Trigger trigger;
    private final Function<Channel, Future<Channel>> dialer;
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    private boolean dialing;

    /** {@code dialer} gets the accepted channel and completes with an onward channel ready for bytes. */
    public DialThenRelay(Trigger trigger, Function<Channel, Future<Channel>> dialer) {
        this.trigger = trigger;
        this.dialer = dialer;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (trigger == Trigger.ON_ACCEPT) {
            dial(ctx);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SslHandshakeCompletionEvent handshake) {
            if (!handshake.isSuccess()) {
                ctx.close();
            } else if (trigger == Trigger.AFTER_TLS_HANDSHAKE) {
                dial(ctx);
            }
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        pending.add(msg);
        ctx.channel().config().setAutoRead(false);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releasePending();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        releasePending();
        ctx.close();
    }

    private void dial(ChannelHandlerContext ctx) {
        if (dialing) {
            return;
        }
        dialing = true;
        Channel inbound = ctx.channel();
        dialer.apply(inbound).addListener(future -> {
            if (!future.isSuccess()) {
                releasePending();
                inbound.close();
                return;
            }
            Channel outbound = (Channel) future.getNow();
            if (!inbound.isActive()) {
                outbound.close();
                return;
            }
            inbound.eventLoop().execute(() -> splice(ctx, inbound, outbound));
        });
    }

    private void splice(ChannelHandlerContext ctx, Channel inbound, Channel outbound) {
        if (!inbound.isActive()) {
            // Closed while the dial was completing: the pipeline may already be torn down.
            releasePending();
            outbound.close();
            return;
        }
        while (!pending.isEmpty()) {
            outbound.write(pending.poll(), outbound.voidPromise());
        }
        outbound.flush();
        ctx.pipeline().remove(this);
        Relay.join(inbound, outbound);
        outbound.closeFuture().addListener(f -> Relay.closeOnFlush(inbound));
    }

    private void releasePending() {
        while (!pending.isEmpty()) {
            ReferenceCountUtil.release(pending.poll());
        }
    }
}
