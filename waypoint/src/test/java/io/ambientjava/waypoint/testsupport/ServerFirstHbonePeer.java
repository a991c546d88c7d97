package io.ambientjava.waypoint.testsupport;

import io.ambientjava.hbone.NettyTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HBONE peer (plaintext HTTP/2, as the tests' {@code ClientSecurity.plaintext()} expects) in front of one app
 * that speaks first. It answers a CONNECT only once the app's first bytes are in, and writes its 200 and those
 * bytes in one flush, so they reach the client in one read: the case where a client that reads the tunnel with
 * its own pipeline could lose them. A real ztunnel does the same whenever the app greets quickly.
 */
public final class ServerFirstHbonePeer implements AutoCloseable {

    private final Channel server;
    public final AtomicInteger tunnels = new AtomicInteger();

    public ServerFirstHbonePeer(EventLoopGroup group, InetSocketAddress app) {
        server = new ServerBootstrap()
                .group(group)
                .channel(NettyTransport.serverChannelClass(group))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build());
                        ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                            @Override
                            protected void initChannel(Http2StreamChannel stream) {
                                stream.pipeline().addLast(new Relay(app));
                            }
                        }));
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .syncUninterruptibly()
                .channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
    }

    /** One CONNECT stream and its connection to the app, both on the stream's event loop. */
    private final class Relay extends ChannelInboundHandlerAdapter {
        private final InetSocketAddress appAddress;
        private Channel app;

        Relay(InetSocketAddress appAddress) {
            this.appAddress = appAddress;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2HeadersFrame headers && app == null) {
                tunnels.incrementAndGet();
                Http2StreamChannel stream = (Http2StreamChannel) ctx.channel();
                app = new Bootstrap()
                        .group(stream.eventLoop())
                        .channel(NettyTransport.socketChannelClass(stream.eventLoop()))
                        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                        .handler(new AppSide(stream))
                        .connect(appAddress)
                        .channel();
                ReferenceCountUtil.release(headers);
            } else if (msg instanceof Http2DataFrame data && app != null) {
                boolean end = data.isEndStream();
                app.writeAndFlush(data.content().retain());
                data.release();
                if (end && app instanceof DuplexChannel duplex) {
                    duplex.shutdownOutput();
                }
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (app != null) {
                app.close();
            }
        }
    }

    /** The app's bytes back into the stream; the first ones go out in the same flush as the 200. */
    private static final class AppSide extends ChannelInboundHandlerAdapter {
        private final Http2StreamChannel stream;
        private boolean answered;

        AppSide(Http2StreamChannel stream) {
            this.stream = stream;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf bytes)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (!answered) {
                answered = true;
                stream.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")));
            }
            stream.writeAndFlush(new DefaultHttp2DataFrame(bytes));
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
                stream.writeAndFlush(new DefaultHttp2DataFrame(true));
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            stream.close();
        }
    }
}
