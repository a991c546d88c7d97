package io.ambientjava.hbone;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds dead HBONE peers the way ztunnel does: after {@code interval} without receiving anything, send an
 * HTTP/2 PING; if still nothing arrives for another {@code interval}, close the connection (its tunnels reset, and
 * a client pool forgets it).
 */
public final class KeepAlive extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(KeepAlive.class);
    private static final String IDLE_HANDLER = "hbone-idle";

    private KeepAlive() {}

    /**
     * Watches reads at the very start of {@code pipeline} (so any byte, including a PING ACK, counts) and adds the
     * pinger at its end (after the HTTP/2 codec, which turns our PING into a frame).
     */
    public static void install(ChannelPipeline pipeline, Duration interval) {
        pipeline.addFirst(IDLE_HANDLER, new IdleStateHandler(interval.toNanos(), 0, 0, TimeUnit.NANOSECONDS));
        pipeline.addLast("hbone-keepalive", new KeepAlive());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!(evt instanceof IdleStateEvent idle) || idle.state() != io.netty.handler.timeout.IdleState.READER_IDLE) {
            ctx.fireUserEventTriggered(evt);
            return;
        }
        if (idle.isFirst()) {
            ctx.writeAndFlush(new DefaultHttp2PingFrame(System.nanoTime()));
        } else {
            log.info(
                    "HBONE peer {} did not answer a PING, closing the connection",
                    ctx.channel().remoteAddress());
            ctx.close();
        }
    }
}
