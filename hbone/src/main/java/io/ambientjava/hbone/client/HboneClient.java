package io.ambientjava.hbone.client;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.tunnel.Tunnel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamChannelOption;
import io.netty.util.concurrent.Future;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The HBONE client: opens CONNECT streams over pooled mTLS HTTP/2 connections, one pool entry per
 * (source identity, expected peer identities, peer address, dialer).
 */
public final class HboneClient implements AutoCloseable {

    /** Bounds how often one request moves to another connection because a peer lowered its stream limit. */
    private static final int MAX_RESERVATION_MOVES = 16;

    private final HboneClientConfig config;
    private final EventLoopGroup group;
    private final ConnectionPool pool;
    private final ConnectionFactory factory;

    /** @param group where connections live (epoll when the group is epoll); not closed by {@link #close()} */
    public HboneClient(EventLoopGroup group, HboneClientConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        NettyTransport.checkHalfCloseSafe(Objects.requireNonNull(group, "group"));
        this.group = group;
        this.pool = new ConnectionPool(config.maxStreamsPerConnection(), config.idleTimeout());
        this.factory = new ConnectionFactory(group, config, pool);
    }

    /**
     * Opens a CONNECT stream. Completes when the peer answered 200; fails with {@link HboneRefusedException} on
     * any other status and with {@link HboneConnectException} when no stream could be opened (unreachable peer,
     * TLS failure, unexpected peer identity, connection lost).
     */
    public CompletableFuture<HboneStream> connect(ConnectRequest request) {
        return connect(request, null);
    }

    /**
     * As {@link #connect(ConnectRequest)}, on a connection that lives on {@code loop} (a new one if none there has
     * room), so a caller on that loop relays the stream's bytes without handing them to another thread. A loop
     * that is not one of this client's group is ignored.
     */
    public CompletableFuture<HboneStream> connect(ConnectRequest request, EventLoop loop) {
        Objects.requireNonNull(request, "request");
        CompletableFuture<HboneStream> result = new CompletableFuture<>();
        connect(request, loop != null && loop.parent() == group ? loop : null, result, MAX_RESERVATION_MOVES);
        return result;
    }

    private void connect(ConnectRequest request, EventLoop loop, CompletableFuture<HboneStream> result, int movesLeft) {
        ConnectionPool.Reservation reservation;
        try {
            reservation = pool.reserve(PoolKey.of(request), loop, group);
        } catch (IllegalStateException closed) {
            result.completeExceptionally(closed);
            return;
        }
        PooledConnection connection = reservation.connection();
        if (reservation.isNew()) {
            factory.dial(connection, request);
        }
        connection.ready.whenComplete((ready, error) -> {
            if (error != null) {
                pool.release(connection);
                result.completeExceptionally(unwrap(error));
                return;
            }
            if (movesLeft > 0 && !pool.confirm(connection)) {
                // The peer allows fewer streams than were reserved on this connection before it said so.
                connect(request, loop, result, movesLeft - 1);
                return;
            }
            Channel parent = connection.channel;
            if (parent.eventLoop().inEventLoop()) {
                openStream(connection, request, result);
            } else {
                parent.eventLoop().execute(() -> openStream(connection, request, result));
            }
        });
    }

    /**
     * Connects and splices {@code downstream} (an accepted local TCP connection) to the new stream: what an
     * outbound proxy does. {@code downstream} should be accepted with auto-read off and half-closure allowed; if
     * the CONNECT fails it is reset (RST) so the application sees the failure.
     */
    public CompletableFuture<Tunnel> tunnel(Channel downstream, ConnectRequest request) {
        Objects.requireNonNull(downstream, "downstream");
        Tunnel.holdInput(downstream);
        return connect(request, downstream.eventLoop()).handle((stream, error) -> {
            if (error != null) {
                resetQuietly(downstream);
                throw error instanceof CompletionException ce ? ce : new CompletionException(error);
            }
            return stream.spliceTo(downstream);
        });
    }

    /** The pool's connections right now. */
    public List<PooledConnectionInfo> connections() {
        return pool.snapshot();
    }

    /** Closes every pooled connection (their streams are reset). The event loop group is left running. */
    @Override
    public void close() {
        for (Channel channel : pool.closeAll()) {
            channel.close().awaitUninterruptibly();
        }
    }

    private void openStream(
            PooledConnection connection, ConnectRequest request, CompletableFuture<HboneStream> result) {
        Channel parent = connection.channel;
        if (!parent.isActive()) {
            pool.release(connection);
            result.completeExceptionally(new HboneConnectException(connection + " closed before the stream opened"));
            return;
        }
        var handler = new ConnectResponseHandler(request, connection, config.tunnel(), result);
        new Http2StreamChannelBootstrap(parent)
                .option(Http2StreamChannelOption.AUTO_STREAM_FLOW_CONTROL, false)
                .handler(handler)
                .open()
                .addListener((Future<Http2StreamChannel> opened) -> {
                    if (!opened.isSuccess()) {
                        pool.release(connection);
                        result.completeExceptionally(new HboneConnectException(
                                "cannot open a stream on " + connection + ": "
                                        + opened.cause().getMessage(),
                                opened.cause()));
                        return;
                    }
                    Http2StreamChannel stream = opened.getNow();
                    stream.closeFuture().addListener(closed -> pool.release(connection));
                    // A peer that stopped answering (but whose connection looks alive) must not hang the caller.
                    ScheduledFuture<?> timeout = stream.eventLoop()
                            .schedule(
                                    () -> {
                                        if (result.completeExceptionally(
                                                new HboneConnectException("no answer to CONNECT "
                                                        + request.authority() + " from " + connection + " within "
                                                        + config.connectTimeout()))) {
                                            stream.close();
                                        }
                                    },
                                    config.connectTimeout().toNanos(),
                                    TimeUnit.NANOSECONDS);
                    result.whenComplete((s, e) -> timeout.cancel(false));
                    stream.writeAndFlush(new DefaultHttp2HeadersFrame(requestHeaders(request)))
                            .addListener(sent -> {
                                if (!sent.isSuccess()) {
                                    result.completeExceptionally(new HboneConnectException(
                                            "cannot send CONNECT on " + connection + ": "
                                                    + sent.cause().getMessage(),
                                            sent.cause()));
                                    stream.close();
                                }
                            });
                });
    }

    private static Http2Headers requestHeaders(ConnectRequest request) {
        Http2Headers headers = new DefaultHttp2Headers()
                .method("CONNECT")
                .authority(request.authority().toString());
        request.headers().forEach(headers::add);
        return headers;
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    private static void resetQuietly(Channel channel) {
        if (channel.isOpen()) {
            try {
                channel.config().setOption(ChannelOption.SO_LINGER, 0);
            } catch (RuntimeException ignored) {
                // closing is all that is left
            }
            channel.close();
        }
    }
}
