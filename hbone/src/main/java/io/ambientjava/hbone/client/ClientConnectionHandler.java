package io.ambientjava.hbone.client;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last in a client connection's pipeline: the peer's first SETTINGS makes the connection ready (and tells how
 * many streams it takes); GOAWAY drains it; closing removes it from the pool.
 */
final class ClientConnectionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ClientConnectionHandler.class);

    private final ConnectionPool pool;
    private final PooledConnection connection;

    ClientConnectionHandler(ConnectionPool pool, PooledConnection connection) {
        this.pool = pool;
        this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof Http2SettingsFrame settings) {
                pool.peerSettings(connection, settings.settings().maxConcurrentStreams());
                if (connection.ready.complete(connection)) {
                    log.debug("{} ready", connection);
                }
            } else if (msg instanceof Http2GoAwayFrame goAway) {
                log.debug("{} received GOAWAY (error code {}), draining", connection, goAway.errorCode());
                pool.drain(connection);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{} failed", connection, cause);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        pool.closed(connection);
        ctx.fireChannelInactive();
    }
}
