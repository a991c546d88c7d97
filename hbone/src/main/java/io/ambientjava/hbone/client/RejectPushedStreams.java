package io.ambientjava.hbone.client;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** The client disables server push; any stream the peer opens anyway is closed (RST_STREAM). */
@ChannelHandler.Sharable
final class RejectPushedStreams extends ChannelInboundHandlerAdapter {

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.channel().close();
    }
}
