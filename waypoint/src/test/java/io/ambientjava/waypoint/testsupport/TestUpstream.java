package io.ambientjava.waypoint.testsupport;

import io.ambientjava.hbone.NettyTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP server speaking HTTP/1.1 and HTTP/2 with prior knowledge. By default it answers 200 with
 * "{@code <name> <method> <uri>}" and the request body; query parameters steer it: {@code status=503},
 * {@code delay=200} (ms), {@code failFirst=N} (503 for the first N requests; with
 * {@code grpcError=S} a trailers-only gRPC status S for them instead). A gRPC request (content-type
 * application/grpc) is echoed with trailers {@code grpc-status: 0}.
 */
public final class TestUpstream implements AutoCloseable {

    public record Seen(String method, String uri, Map<String, String> headers, String body, String protocol) {}

    private final String name;
    private final Channel server;
    public final List<Seen> seen = new CopyOnWriteArrayList<>();
    public final AtomicInteger count = new AtomicInteger();
    public final AtomicInteger connections = new AtomicInteger();
    public final AtomicInteger active = new AtomicInteger();
    /** The most requests one connection had in flight at once (HTTP/2 streams; 1 for HTTP/1.1). */
    public final AtomicInteger maxActivePerConnection = new AtomicInteger();

    private final java.util.Map<Channel, AtomicInteger> activeByConnection =
            new java.util.concurrent.ConcurrentHashMap<>();
    public volatile long delayMillis;
    private final AtomicInteger failuresLeft = new AtomicInteger(-1);
    private volatile int fixedStatus;

    public TestUpstream(EventLoopGroup group, String name) {
        this(group, name, false);
    }

    /** Listening on {@code address} rather than a free port of 127.0.0.1. */
    public static TestUpstream on(EventLoopGroup group, String name, InetSocketAddress address) {
        return new TestUpstream(group, name, false, address);
    }

    /**
     * Speaks only HTTP/2 and, like grpc-java's server, sends its SETTINGS as soon as a connection is accepted,
     * before the client says anything.
     */
    public static TestUpstream http2Only(EventLoopGroup group, String name) {
        return new TestUpstream(group, name, true);
    }

    private TestUpstream(EventLoopGroup group, String name, boolean http2Only) {
        this(group, name, http2Only, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    private TestUpstream(EventLoopGroup group, String name, boolean http2Only, InetSocketAddress bindAddress) {
        this.name = name;
        this.server = new ServerBootstrap()
                .group(group)
                .channel(NettyTransport.serverChannelClass(group))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.incrementAndGet();
                        if (http2Only) {
                            ch.pipeline()
                                    .addLast(
                                            "h2",
                                            Http2FrameCodecBuilder.forServer().build());
                            ch.pipeline().addLast("mux", http2Streams());
                        } else {
                            ch.pipeline().addLast(new Sniffer());
                        }
                    }
                })
                .bind(bindAddress)
                .syncUninterruptibly()
                .channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Every request answered with {@code status} (0: back to normal). */
    public void alwaysAnswer(int status) {
        fixedStatus = status;
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
    }

    private Http2MultiplexHandler http2Streams() {
        return new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
                ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true));
                ch.pipeline().addLast(new HttpObjectAggregator(16 << 20));
                ch.pipeline().addLast(new Responder("HTTP/2"));
            }
        });
    }

    private final class Sniffer extends ByteToMessageDecoder {
        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            if (in.readableBytes() < 4) {
                return;
            }
            boolean h2 =
                    in.toString(in.readerIndex(), 4, StandardCharsets.US_ASCII).equals("PRI ");
            if (h2) {
                ctx.pipeline()
                        .addAfter(
                                ctx.name(),
                                "h2",
                                Http2FrameCodecBuilder.forServer().build());
                ctx.pipeline().addAfter("h2", "mux", http2Streams());
            } else {
                ctx.pipeline().addAfter(ctx.name(), "responder", new Responder("HTTP/1.1"));
                ctx.pipeline().addAfter(ctx.name(), "agg", new HttpObjectAggregator(16 << 20));
                ctx.pipeline().addAfter(ctx.name(), "codec", new HttpServerCodec());
            }
            ctx.pipeline().remove(this);
        }
    }

    private final class Responder extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final String protocol;

        Responder(String protocol) {
            this.protocol = protocol;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            count.incrementAndGet();
            Map<String, String> headers = new ConcurrentHashMap<>();
            request.headers()
                    .forEach(e -> headers.merge(e.getKey().toLowerCase(), e.getValue(), (a, b) -> a + "," + b));
            String body = request.content().toString(StandardCharsets.UTF_8);
            seen.add(new Seen(request.method().name(), request.uri(), headers, body, protocol));
            var query = new QueryStringDecoder(request.uri()).parameters();
            int status = fixedStatus != 0
                    ? fixedStatus
                    : Integer.parseInt(
                            query.getOrDefault("status", List.of("200")).getFirst());
            boolean failing = false;
            if (query.containsKey("failFirst")) {
                failuresLeft.compareAndSet(
                        -1, Integer.parseInt(query.get("failFirst").getFirst()));
                if (failuresLeft.getAndDecrement() > 0) {
                    status = 503;
                    failing = true;
                }
            }
            // grpcError with failFirst: the gRPC error only for the first N requests, then the normal answer
            if (query.containsKey("grpcError") && (!query.containsKey("failFirst") || failing)) {
                FullHttpResponse trailersOnly =
                        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                trailersOnly.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/grpc");
                trailersOnly.headers().set("grpc-status", query.get("grpcError").getFirst());
                HttpUtil.setContentLength(trailersOnly, 0); // over HTTP/1.1 the empty body needs its length
                ctx.writeAndFlush(trailersOnly);
                return;
            }
            if (query.containsKey("reset")) {
                ctx.close(); // no answer at all: the proxy sees its upstream connection reset
                return;
            }
            long delay =
                    Long.parseLong(query.getOrDefault("delay", List.of("0")).getFirst());
            boolean grpc =
                    request.headers().get(HttpHeaderNames.CONTENT_TYPE, "").startsWith("application/grpc");
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            int finalStatus = status;
            active.incrementAndGet();
            Channel connection = ctx.channel().parent() != null ? ctx.channel().parent() : ctx.channel();
            AtomicInteger onConnection = activeByConnection.computeIfAbsent(connection, c -> new AtomicInteger());
            maxActivePerConnection.accumulateAndGet(onConnection.incrementAndGet(), Math::max);
            Runnable reply = () -> {
                active.decrementAndGet();
                onConnection.decrementAndGet();
                if (grpc) {
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/grpc");
                    ctx.write(head);
                    ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer(body, StandardCharsets.UTF_8)));
                    var last = new DefaultLastHttpContent();
                    last.trailingHeaders().set("grpc-status", "0").set("grpc-message", "ok-from-" + name);
                    ctx.writeAndFlush(last);
                    return;
                }
                byte[] text = (name + " " + request.method() + " " + request.uri() + "\n" + body)
                        .getBytes(StandardCharsets.UTF_8);
                FullHttpResponse response = new DefaultFullHttpResponse(
                        HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(finalStatus), Unpooled.wrappedBuffer(text));
                response.headers().set("x-upstream", name);
                response.headers().set("x-seen-host", request.headers().get(HttpHeaderNames.HOST, ""));
                HttpUtil.setContentLength(response, text.length);
                HttpUtil.setKeepAlive(response, keepAlive);
                ctx.writeAndFlush(response);
            };
            request.retain();
            if (delay > 0) {
                ctx.executor()
                        .schedule(
                                () -> {
                                    reply.run();
                                    request.release();
                                },
                                delay,
                                TimeUnit.MILLISECONDS);
            } else {
                reply.run();
                request.release();
            }
        }
    }
}
