package io.ambientjava.waypoint.proxy;

import io.ambientjava.waypoint.config.ListenerConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2MultiplexCodec;
import io.netty.handler.codec.http2.Http2MultiplexCodecBuilder;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.AsciiString;
import java.util.Optional;

/** Sets up a downstream connection by its listener: HTTP (sniffed h1/h2/other) or a TCP proxy. */
final class DownstreamPipeline {

    private DownstreamPipeline() {}

    static void install(Channel ch, ProxyRuntime runtime, DownstreamContext context) {
        ch.pipeline()
                .addLast(new io.netty.handler.timeout.IdleStateHandler(
                        0,
                        0,
                        runtime.limits().connectionIdleTimeout().toNanos(),
                        java.util.concurrent.TimeUnit.NANOSECONDS));
        ch.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(io.netty.channel.ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof io.netty.handler.timeout.IdleStateEvent) {
                    ctx.close();
                } else {
                    ctx.fireUserEventTriggered(evt);
                }
            }
        });
        Optional<ListenerConfig> listener =
                runtime.config().listenerFor(context.listenerAddress(), context.listenerPort());
        if (listener.isPresent() && listener.get().kind() instanceof ListenerConfig.Tcp tcp) {
            ch.pipeline().addLast(TcpProxyHandler.forChain(runtime, tcp, context));
            return;
        }
        if (listener.isPresent() && listener.get().kind() instanceof ListenerConfig.TlsPassthrough passthrough) {
            ch.pipeline().addLast(new SniRouter(passthrough, runtime, context));
            return;
        }
        ch.pipeline().addLast(new ProtocolDetector(runtime, context));
    }

    static void http1(ChannelPipeline pipeline, ChannelHandler after, ProxyRuntime runtime, DownstreamContext context) {
        Http1ServerCodec codec = new Http1ServerCodec(runtime.limits());
        HttpServerUpgradeHandler.UpgradeCodecFactory upgrades =
                protocol -> AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                        ? new Http2ServerUpgradeCodec(http2Codec(runtime, context, true))
                        : null;
        String name = pipeline.context(after).name();
        pipeline.addAfter(name, "http1-handler", new DownstreamHandler(runtime, context, false));
        pipeline.addAfter(name, "h2c-upgrade", new HttpServerUpgradeHandler(codec, upgrades, 64 * 1024));
        pipeline.addAfter(name, "http1-codec", codec);
    }

    static void http2(ChannelPipeline pipeline, ChannelHandler after, ProxyRuntime runtime, DownstreamContext context) {
        pipeline.addAfter(pipeline.context(after).name(), "h2-codec", http2Codec(runtime, context, false));
    }

    /**
     * HTTP/2 with a child channel per request stream. Http2MultiplexCodec (deprecated for Http2FrameCodec with
     * Http2MultiplexHandler) because only it tells server from client by the connection: the handler asks whether
     * the channel's parent is a server socket, which an HBONE stream's is not, and then takes stream 1 for a
     * client-side upgrade it cannot serve.
     */
    @SuppressWarnings("deprecation")
    private static Http2MultiplexCodec http2Codec(
            ProxyRuntime runtime, DownstreamContext context, boolean upgradedFromHttp1) {
        return Http2MultiplexCodecBuilder.forServer(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                        stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true));
                        stream.pipeline().addLast(new DownstreamHandler(runtime, context, true, upgradedFromHttp1));
                    }
                })
                .initialSettings(Http2Settings.defaultSettings()
                        .maxHeaderListSize(runtime.limits().maxHeaderBytes())
                        .maxConcurrentStreams(1000))
                .validateHeaders(true)
                .build();
    }
}
