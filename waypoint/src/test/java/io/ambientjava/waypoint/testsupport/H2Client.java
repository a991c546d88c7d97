package io.ambientjava.waypoint.testsupport;

import io.ambientjava.hbone.NettyTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A minimal HTTP/2 (prior knowledge) client that shows headers, body and trailers of each response. */
public final class H2Client implements AutoCloseable {

    public record Response(Http2Headers headers, String body, Http2Headers trailers) {}

    private final Channel parent;

    public H2Client(EventLoopGroup group, InetSocketAddress address) {
        parent = new Bootstrap()
                .group(group)
                .channel(NettyTransport.socketChannelClass(group))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build());
                        ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                    }
                })
                .connect(address)
                .syncUninterruptibly()
                .channel();
    }

    /** Sends a request (headers, then each body part as its own DATA frame) and waits for the whole answer. */
    public Response exchange(Http2Headers headers, List<String> bodyParts) throws Exception {
        CompletableFuture<Response> result = new CompletableFuture<>();
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(parent)
                .handler(new ChannelInboundHandlerAdapter() {
                    Http2Headers head;
                    final StringBuilder body = new StringBuilder();
                    final List<Http2Headers> more = new ArrayList<>();

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        boolean end = false;
                        if (msg instanceof Http2HeadersFrame h) {
                            if (head == null) {
                                head = h.headers();
                            } else {
                                more.add(h.headers());
                            }
                            end = h.isEndStream();
                        } else if (msg instanceof Http2DataFrame d) {
                            body.append(d.content().toString(StandardCharsets.UTF_8));
                            end = d.isEndStream();
                        }
                        ReferenceCountUtil.release(msg);
                        if (end) {
                            result.complete(
                                    new Response(head, body.toString(), more.isEmpty() ? null : more.getFirst()));
                        }
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        result.completeExceptionally(new IllegalStateException("stream closed, head " + head));
                    }
                })
                .open()
                .get(5, TimeUnit.SECONDS);
        stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, bodyParts.isEmpty()));
        for (int i = 0; i < bodyParts.size(); i++) {
            stream.writeAndFlush(new DefaultHttp2DataFrame(
                    Unpooled.copiedBuffer(bodyParts.get(i), StandardCharsets.UTF_8), i == bodyParts.size() - 1));
        }
        return result.get(10, TimeUnit.SECONDS);
    }

    public static Http2Headers request(String method, String path, String authority) {
        return new DefaultHttp2Headers()
                .method(method)
                .path(path)
                .scheme("http")
                .authority(authority);
    }

    @Override
    public void close() {
        parent.close().syncUninterruptibly();
    }
}
