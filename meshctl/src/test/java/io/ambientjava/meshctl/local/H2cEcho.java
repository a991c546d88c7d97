package io.ambientjava.meshctl.local;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrame;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP/2-only (h2c, prior knowledge) test app for a pod: answers every request with {@code <name> v1}, like
 * {@link DemoApp} does over HTTP/1.1. Usage: {@code H2cEcho <port> <name>}.
 */
public final class H2cEcho {
    private H2cEcho() {}

    public static void main(String[] args) throws InterruptedException {
        int port = Integer.parseInt(args[0]);
        String name = args[1];
        var group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Channel server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline()
                                .addLast(Http2FrameCodecBuilder.forServer().build())
                                .addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                                    @Override
                                    protected void initChannel(Http2StreamChannel stream) {
                                        stream.pipeline().addLast(new Answer(name));
                                    }
                                }));
                    }
                })
                .bind(new InetSocketAddress(port))
                .sync()
                .channel();
        System.out.println("h2c echo ready on :" + port);
        server.closeFuture().sync();
    }

    private static final class Answer extends SimpleChannelInboundHandler<Http2StreamFrame> {
        private final String name;

        Answer(String name) {
            this.name = name;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
            boolean ended = frame instanceof Http2HeadersFrame headers
                    ? headers.isEndStream()
                    : frame instanceof io.netty.handler.codec.http2.Http2DataFrame data && data.isEndStream();
            if (!ended) {
                return;
            }
            ByteBuf body = Unpooled.copiedBuffer(name + " v1 (h2c)\n", StandardCharsets.UTF_8);
            ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers()
                    .status("200")
                    .set("content-type", "text/plain")
                    .setInt("content-length", body.readableBytes())));
            ctx.writeAndFlush(new DefaultHttp2DataFrame(body, true));
        }
    }
}
