package io.ambientjava.hbone.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Last in an HBONE server connection's pipeline: consumes connection-level frames and logs how it ended. */
final class ServerConnectionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ServerConnectionHandler.class);

    private final InboundConnection connection;

    ServerConnectionHandler(InboundConnection connection) {
        this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2GoAwayFrame goAway) {
            log.debug("HBONE client {} sent GOAWAY (error code {})", connection, goAway.errorCode());
        }
        // SETTINGS, PING, GOAWAY: the codec has acted on them already.
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.info("HBONE connection from {} failed: {}", connection, cause.toString());
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        log.debug("HBONE connection from {} closed", connection);
        ctx.fireChannelInactive();
    }
}
