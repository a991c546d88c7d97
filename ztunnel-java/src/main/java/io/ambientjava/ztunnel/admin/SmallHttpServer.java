package io.ambientjava.ztunnel.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP/1.1 server for one of ztunnel's operations ports. Netty decodes on the given event loop group;
 * handlers run on virtual threads (so scrapes and dumps never hold an event loop) and the reply is written back
 * through the channel. While a request is handled the connection stops reading, so pipelined requests are
 * answered in order.
 */
public final class SmallHttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SmallHttpServer.class);
    private static final int MAX_REQUEST_BYTES = 64 * 1024;
    private static final int IDLE_SECONDS = 60;

    private final String name;
    private final Channel channel;
    private final InetSocketAddress requested;
    private final ChannelGroup connections;

    private SmallHttpServer(String name, Channel channel, InetSocketAddress requested, ChannelGroup connections) {
        this.name = name;
        this.channel = channel;
        this.requested = requested;
        this.connections = connections;
    }

    /**
     * Binds and starts serving.
     *
     * @param name for logs and 404 texts, e.g. {@code admin}
     * @throws java.io.UncheckedIOException naming the address when it cannot be bound
     */
    public static SmallHttpServer start(
            String name,
            InetSocketAddress address,
            EventLoopGroup group,
            Class<? extends ServerChannel> channelType,
            HttpRoutes routes) {
        Objects.requireNonNull(routes, "routes");
        Executor handlers = task -> Thread.ofVirtual().name("http-" + name).start(task);
        ChannelGroup connections = new DefaultChannelGroup(name + "-connections", GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(channelType)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline()
                                .addLast(new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS))
                                .addLast(new HttpServerCodec())
                                .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                .addLast(new RequestHandler(routes, handlers));
                    }
                });
        try {
            Channel channel = bootstrap.bind(address).sync().channel();
            SmallHttpServer server = new SmallHttpServer(name, channel, address, connections);
            log.debug("{} server listening on {}", name, server.address());
            return server;
        } catch (Exception e) {
            throw new java.io.UncheckedIOException(
                    "cannot bind the " + name + " server to " + address.getHostString() + ":" + address.getPort() + ": "
                            + e.getMessage(),
                    e instanceof java.io.IOException io ? io : new java.io.IOException(e));
        }
    }

    /**
     * The address as asked for, with the real port when 0 was asked for. (A socket bound to 0.0.0.0 may report
     * the IPv6 wildcard; callers want to see what they configured.)
     */
    public InetSocketAddress address() {
        int port = ((InetSocketAddress) channel.localAddress()).getPort();
        return new InetSocketAddress(requested.getAddress(), port);
    }

    public String name() {
        return name;
    }

    /** Stops accepting and closes the open connections (a reply being computed is dropped). */
    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private static final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final HttpRoutes routes;
        private final Executor handlers;

        RequestHandler(HttpRoutes routes, Executor handlers) {
            this.routes = routes;
            this.handlers = handlers;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            if (!request.decoderResult().isSuccess()) {
                write(
                        ctx,
                        HttpReply.text(
                                400,
                                "malformed request: " + request.decoderResult().cause() + "\n"),
                        false);
                return;
            }
            HttpExchange exchange = exchange(request);
            ctx.channel().config().setAutoRead(false);
            handlers.execute(() -> {
                HttpReply reply;
                try {
                    reply = routes.dispatch(exchange);
                } catch (RuntimeException e) {
                    reply = HttpReply.text(500, "internal error: " + e + "\n");
                }
                write(ctx, reply, keepAlive);
            });
        }

        private static HttpExchange exchange(FullHttpRequest request) {
            QueryStringDecoder decoder = new QueryStringDecoder(request.uri(), StandardCharsets.UTF_8);
            Map<String, String> headers = new HashMap<>();
            request.headers()
                    .forEach(h ->
                            headers.merge(h.getKey().toLowerCase(Locale.ROOT), h.getValue(), (a, b) -> a + "," + b));
            Map<String, List<String>> query = decoder.parameters();
            String path = decoder.path();
            return new HttpExchange(request.method().name(), path, query, headers);
        }

        private static void write(ChannelHandlerContext ctx, HttpReply reply, boolean keepAlive) {
            if (!ctx.channel().isActive() || ctx.executor().isShuttingDown()) {
                return; // the server closed while the reply was computed
            }
            FullHttpResponse response = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(reply.status()),
                    Unpooled.wrappedBuffer(reply.body()));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
            reply.headers().forEach((k, v) -> response.headers().set(k, v));
            HttpUtil.setContentLength(response, reply.body().length);
            if (!keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            ctx.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
                if (!keepAlive || !f.isSuccess()) {
                    f.channel().close();
                } else {
                    f.channel().config().setAutoRead(true);
                    f.channel().read();
                }
            });
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof io.netty.handler.timeout.IdleStateEvent) {
                ctx.close();
            } else {
                ctx.fireUserEventTriggered(event);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("admin connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }
}
