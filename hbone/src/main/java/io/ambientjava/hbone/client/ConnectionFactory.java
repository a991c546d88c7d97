package io.ambientjava.hbone.client;

import io.ambientjava.hbone.HboneFrameCodecBuilder;
import io.ambientjava.hbone.HboneSettings;
import io.ambientjava.hbone.KeepAlive;
import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.WriteBatching;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Dials HBONE connections: TCP through the request's dialer, TLS with identity check, HTTP/2. */
final class ConnectionFactory {

    private final EventLoopGroup group;
    private final HboneSettings http2;
    private final Duration connectTimeout;
    private final Duration keepAliveInterval;
    private final ConnectionPool pool;

    ConnectionFactory(EventLoopGroup group, HboneClientConfig config, ConnectionPool pool) {
        this.group = group;
        this.http2 = config.http2();
        this.connectTimeout = config.connectTimeout();
        this.keepAliveInterval = config.keepAliveInterval();
        this.pool = pool;
    }

    void dial(PooledConnection connection, ConnectRequest request) {
        InetSocketAddress peer = request.peer();
        Bootstrap bootstrap = new Bootstrap()
                .group(connection.loop)
                .channel(NettyTransport.socketChannelClass(group))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        initConnection(ch, connection, request);
                    }
                });
        ChannelFuture dialed;
        try {
            dialed = request.dialer().connect(bootstrap, peer);
        } catch (RuntimeException e) {
            fail(connection, new HboneConnectException("cannot dial HBONE peer " + peer + ": " + e.getMessage(), e));
            return;
        }
        connection.channel = dialed.channel();
        dialed.addListener(f -> {
            if (!f.isSuccess()) {
                fail(connection, cannotConnect(peer, f.cause()));
            }
        });
        dialed.channel().closeFuture().addListener(f -> {
            pool.closed(connection);
            // A failed connect also closes the channel; which listener hears first depends on when each was added,
            // so the close names the connect failure when there was one.
            Throwable connectFailure = dialed.cause();
            connection.ready.completeExceptionally(
                    connectFailure != null
                            ? cannotConnect(peer, connectFailure)
                            : new HboneConnectException(
                                    "connection to HBONE peer " + peer + " closed before it was ready"));
        });
    }

    private static HboneConnectException cannotConnect(InetSocketAddress peer, Throwable cause) {
        return new HboneConnectException("cannot connect to HBONE peer " + peer + ": " + cause.getMessage(), cause);
    }

    private void initConnection(Channel ch, PooledConnection connection, ConnectRequest request) {
        ch.eventLoop()
                .schedule(
                        () -> {
                            if (!connection.ready.isDone()) {
                                fail(
                                        connection,
                                        new HboneConnectException("HBONE peer " + request.peer() + " not ready within "
                                                + connectTimeout + " (TCP, TLS, SETTINGS)"));
                            }
                        },
                        connectTimeout.toNanos(),
                        TimeUnit.NANOSECONDS);
        switch (request.security()) {
            case ClientSecurity.MutualTls tls -> {
                InetSocketAddress peer = request.peer();
                SslHandler ssl = tls.sslContext()
                        .get()
                        .newHandler(ch.alloc(), peer.getAddress().getHostAddress(), peer.getPort());
                ssl.setHandshakeTimeoutMillis(connectTimeout.toMillis());
                ch.pipeline().addLast("tls", ssl);
                ch.pipeline()
                        .addLast(
                                "hbone-handshake",
                                new ClientHandshakeHandler(
                                        this, connection, Set.copyOf(request.expectedPeerIdentities())));
            }
            case ClientSecurity.Plaintext plaintext -> installHttp2(ch.pipeline(), connection);
        }
    }

    void installHttp2(ChannelPipeline pipeline, PooledConnection connection) {
        pipeline.channel().config().setWriteBufferWaterMark(http2.connectionWriteBuffer());
        WriteBatching.install(pipeline);
        pipeline.addLast(
                "h2",
                HboneFrameCodecBuilder.forClient()
                        .initialSettings(http2.clientSettings())
                        // Streams beyond the peer's limit wait for a free slot instead of failing.
                        .encoderEnforceMaxConcurrentStreams(true)
                        .validateHeaders(true)
                        .build());
        pipeline.addLast("h2-streams", new Http2MultiplexHandler(new RejectPushedStreams()));
        pipeline.addLast("hbone-connection", new ClientConnectionHandler(pool, connection));
        KeepAlive.install(pipeline, keepAliveInterval);
    }

    void fail(PooledConnection connection, HboneConnectException error) {
        pool.closed(connection);
        connection.ready.completeExceptionally(error);
        Channel ch = connection.channel;
        if (ch != null) {
            ch.close();
        }
    }
}
