package io.ambientjava.hbone.server;

import io.ambientjava.hbone.HboneFrameCodecBuilder;
import io.ambientjava.hbone.KeepAlive;
import io.ambientjava.hbone.WriteBatching;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns an accepted TCP channel into an HBONE server connection: TLS (context asked for per connection, so
 * rotated certificates apply to new connections), then on a good handshake the peer's SPIFFE ID, HTTP/2, and
 * one child channel per CONNECT stream. Usable on channels accepted elsewhere (e.g. inside a pod's network
 * namespace); {@link HboneServer} uses it for the sockets it binds.
 */
@ChannelHandler.Sharable
public final class HboneServerInitializer extends ChannelInitializer<Channel> {

    private final HboneServerConfig config;
    private final HboneConnector connector;

    public HboneServerInitializer(HboneServerConfig config, HboneConnector connector) {
        this.config = Objects.requireNonNull(config, "config");
        this.connector = Objects.requireNonNull(connector, "connector");
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline pipeline = ch.pipeline();
        switch (config.security()) {
            case ServerSecurity.MutualTls tls -> {
                SslContext context = tls.sslContext().get();
                SslHandler ssl = context.newHandler(ch.alloc());
                ssl.setHandshakeTimeoutMillis(config.handshakeTimeout().toMillis());
                pipeline.addLast("tls", ssl);
                pipeline.addLast("hbone-handshake", new ServerHandshakeHandler(this));
            }
            case ServerSecurity.Plaintext plaintext ->
                installHttp2(pipeline, new InboundConnection(Optional.empty(), ch.remoteAddress(), ch.localAddress()));
        }
    }

    /** Adds HTTP/2 and the per-stream CONNECT handling once the peer is known. */
    void installHttp2(ChannelPipeline pipeline, InboundConnection connection) {
        pipeline.channel().config().setWriteBufferWaterMark(config.http2().connectionWriteBuffer());
        Http2FrameCodec codec = HboneFrameCodecBuilder.forServer()
                .initialSettings(config.http2().serverSettings())
                .validateHeaders(true)
                .build();
        WriteBatching.install(pipeline);
        pipeline.addLast("h2", codec);
        pipeline.addLast("h2-streams", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                // Window is returned by the tunnel once bytes are written upstream, not when frames are read.
                stream.config().setOption(Http2StreamChannelOption.AUTO_STREAM_FLOW_CONTROL, false);
                stream.pipeline().addLast(new ConnectStreamHandler(connection, connector, config.tunnel()));
            }
        }));
        pipeline.addLast("hbone-connection", new ServerConnectionHandler(connection));
        KeepAlive.install(pipeline, config.keepAliveInterval());
    }
}
