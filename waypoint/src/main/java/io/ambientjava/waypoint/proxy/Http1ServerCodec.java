package io.ambientjava.waypoint.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;

/** {@link StrictRequestDecoder} and the response encoder as one handler that an h2c upgrade can remove. */
final class Http1ServerCodec extends CombinedChannelDuplexHandler<StrictRequestDecoder, HttpResponseEncoder>
        implements HttpServerUpgradeHandler.SourceCodec {

    Http1ServerCodec(ProxyLimits limits) {
        super(new StrictRequestDecoder(limits), new HttpResponseEncoder());
    }

    @Override
    public void upgradeFrom(ChannelHandlerContext ctx) {
        ctx.pipeline().remove(this);
    }
}
