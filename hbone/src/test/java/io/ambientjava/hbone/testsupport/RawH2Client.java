package io.ambientjava.hbone.testsupport;

import io.ambientjava.hbone.NettyTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bare HTTP/2 client that sends whatever headers a test wants (GET, CONNECT without authority, ...) on one
 * connection, to check what the HBONE server answers and that other streams carry on.
 */
public final class RawH2Client implements AutoCloseable {

    /** What a stream received: response headers, data as text, a reset, or the stream closing. */
    public sealed interface Event {}

    public record Headers(Http2Headers headers, boolean endStream) implements Event {}

    public record Data(String text, boolean endStream) implements Event {}

    public record Reset(long errorCode) implements Event {}

    public record Closed() implements Event {}

    private final Channel channel;
    /** Completes when TLS is done (at once without TLS), or fails with the handshake error. */
    public final CompletableFuture<Void> handshake = new CompletableFuture<>();

    private RawH2Client(Channel channel) {
        this.channel = channel;
    }

    public static RawH2Client connect(EventLoopGroup group, InetSocketAddress server, SslContext tls) {
        CompletableFuture<Void> handshake = new CompletableFuture<>();
        Channel ch = new Bootstrap()
                .group(group)
                .channel(NettyTransport.socketChannelClass(group))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                    if (evt instanceof SslHandshakeCompletionEvent done) {
                                        if (done.isSuccess()) {
                                            handshake.complete(null);
                                        } else {
                                            handshake.completeExceptionally(done.cause());
                                        }
                                    }
                                    ctx.fireUserEventTriggered(evt);
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    handshake.completeExceptionally(cause);
                                    ctx.close();
                                }
                            });
                        } else {
                            handshake.complete(null);
                        }
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build());
                        ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ReferenceCountUtil.release(msg);
                            }
                        });
                    }
                })
                .connect(server)
                .syncUninterruptibly()
                .channel();
        ch.closeFuture().addListener(f -> handshake.completeExceptionally(new IllegalStateException("closed")));
        RawH2Client client = new RawH2Client(ch);
        handshake.whenComplete((v, e) -> {
            if (e == null) {
                client.handshake.complete(null);
            } else {
                client.handshake.completeExceptionally(e);
            }
        });
        return client;
    }

    public Channel channel() {
        return channel;
    }

    public SslHandler ssl() {
        return channel.pipeline().get(SslHandler.class);
    }

    /** Opens a stream and sends {@code headers}. */
    public RawStream open(Http2Headers headers, boolean endStream) {
        BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(channel)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        try {
                            if (msg instanceof Http2HeadersFrame h) {
                                events.add(new Headers(h.headers(), h.isEndStream()));
                            } else if (msg instanceof Http2DataFrame d) {
                                events.add(new Data(d.content().toString(StandardCharsets.UTF_8), d.isEndStream()));
                            }
                        } finally {
                            ReferenceCountUtil.release(msg);
                        }
                    }

                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        if (evt instanceof Http2ResetFrame reset) {
                            events.add(new Reset(reset.errorCode()));
                        }
                        ReferenceCountUtil.release(evt);
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        events.add(new Closed());
                    }
                })
                .open()
                .syncUninterruptibly()
                .getNow();
        stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, endStream)).syncUninterruptibly();
        return new RawStream(stream, events);
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    public record RawStream(Http2StreamChannel channel, BlockingQueue<Event> events) {

        public void send(String text, boolean endStream) {
            channel.writeAndFlush(new DefaultHttp2DataFrame(
                            Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8)), endStream))
                    .syncUninterruptibly();
        }

        public Event next() throws InterruptedException {
            Event event = events.poll(10, TimeUnit.SECONDS);
            if (event == null) {
                throw new AssertionError("no event on " + channel + " within 10 s");
            }
            return event;
        }

        public Http2Headers awaitHeaders() throws InterruptedException {
            Event event = next();
            if (event instanceof Headers h) {
                return h.headers();
            }
            throw new AssertionError("expected response headers, got " + event);
        }

        /** Reads data events until {@code expected.length()} characters arrived. */
        public String awaitText(int length) throws InterruptedException {
            StringBuilder text = new StringBuilder();
            while (text.length() < length) {
                Event event = next();
                if (event instanceof Data d) {
                    text.append(d.text());
                } else {
                    throw new AssertionError("expected data, got " + event + " after '" + text + "'");
                }
            }
            return text.toString();
        }
    }
}
