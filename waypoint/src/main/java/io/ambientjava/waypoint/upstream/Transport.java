package io.ambientjava.waypoint.upstream;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.authority.HboneAuthority;
import io.ambientjava.hbone.client.ClientSecurity;
import io.ambientjava.hbone.client.ConnectRequest;
import io.ambientjava.hbone.client.HboneClient;
import io.ambientjava.hbone.client.HboneStream;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.waypoint.bytestream.StreamBytesAdapter;
import io.ambientjava.waypoint.config.ClusterConfig;
import io.ambientjava.waypoint.config.EndpointConfig;
import io.ambientjava.waypoint.config.UpstreamTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Opens a byte channel to an endpoint: plain TCP, or an HBONE CONNECT to its ztunnel ({@code <ip>:15008}) as the
 * waypoint's identity, checking the endpoint's identity. The returned channel carries the endpoint's bytes either
 * way (for HBONE a {@link StreamBytesAdapter} is in front), with the cluster's TLS on top when it originates TLS, and
 * hands nothing on to handlers added later until {@link #startReading}.
 */
public final class Transport {

    public static final int HBONE_PORT = 15008;

    private final HboneClient hbone;
    private final ClientSecurity security;
    private final int hbonePort;

    /** @param hbonePort the peer's HBONE port (15008; tests use others) */
    public Transport(HboneClient hbone, ClientSecurity security, int hbonePort) {
        this.hbone = Objects.requireNonNull(hbone, "hbone");
        this.security = Objects.requireNonNull(security, "security");
        this.hbonePort = hbonePort;
    }

    /**
     * @param cluster the endpoint's cluster: its connect timeout and the TLS it originates
     * @param sourceAddress the original client, sent in {@code forwarded} on HBONE
     */
    public CompletableFuture<Channel> open(
            EndpointConfig endpoint, ClusterConfig cluster, EventLoop loop, InetSocketAddress sourceAddress) {
        CompletableFuture<Channel> bytes = endpoint.hbone()
                ? openHbone(endpoint, loop, sourceAddress)
                : openTcp(endpoint.address(), loop, cluster.connectTimeout(), cluster.tcpKeepalive());
        if (cluster.tls().isEmpty()) {
            return bytes;
        }
        UpstreamTls tls = cluster.tls().get();
        return bytes.thenCompose(ch -> {
            CompletableFuture<Channel> secured = new CompletableFuture<>();
            ch.eventLoop()
                    .execute(() -> TlsOrigination.handshake(ch, tls, endpoint.address(), cluster.connectTimeout())
                            .whenComplete((done, error) -> {
                                if (error != null) {
                                    secured.completeExceptionally(error);
                                } else {
                                    secured.complete(done);
                                }
                            }));
            return secured;
        });
    }

    private CompletableFuture<Channel> openTcp(
            InetSocketAddress target,
            EventLoop loop,
            Duration connectTimeout,
            java.util.Optional<io.ambientjava.waypoint.config.TcpKeepalive> keepalive) {
        CompletableFuture<Channel> result = new CompletableFuture<>();
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(NettyTransport.socketChannelClass(loop))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {}
                });
        boolean epoll = io.netty.channel.epoll.EpollSocketChannel.class.isAssignableFrom(
                NettyTransport.socketChannelClass(loop));
        keepalive.ifPresent(k -> keepalive(bootstrap, k, epoll));
        ChannelFuture dial = bootstrap.connect(target);
        dial.addListener(f -> {
            if (f.isSuccess()) {
                result.complete(dial.channel());
            } else {
                result.completeExceptionally(f.cause());
            }
        });
        return result;
    }

    /** SO_KEEPALIVE, and the cluster's idle time, interval and probe count where it sets them. */
    private static void keepalive(Bootstrap bootstrap, io.ambientjava.waypoint.config.TcpKeepalive k, boolean epoll) {
        bootstrap.option(ChannelOption.SO_KEEPALIVE, true);
        if (epoll) {
            k.idleSeconds().ifPresent(v -> bootstrap.option(io.netty.channel.epoll.EpollChannelOption.TCP_KEEPIDLE, v));
            k.intervalSeconds()
                    .ifPresent(v -> bootstrap.option(io.netty.channel.epoll.EpollChannelOption.TCP_KEEPINTVL, v));
            k.probes().ifPresent(v -> bootstrap.option(io.netty.channel.epoll.EpollChannelOption.TCP_KEEPCNT, v));
        } else {
            k.idleSeconds()
                    .ifPresent(v -> bootstrap.option(
                            io.netty.channel.socket.nio.NioChannelOption.of(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE),
                            v));
            k.intervalSeconds()
                    .ifPresent(v -> bootstrap.option(
                            io.netty.channel.socket.nio.NioChannelOption.of(
                                    jdk.net.ExtendedSocketOptions.TCP_KEEPINTERVAL),
                            v));
            k.probes()
                    .ifPresent(v -> bootstrap.option(
                            io.netty.channel.socket.nio.NioChannelOption.of(
                                    jdk.net.ExtendedSocketOptions.TCP_KEEPCOUNT),
                            v));
        }
    }

    private CompletableFuture<Channel> openHbone(EndpointConfig endpoint, EventLoop loop, InetSocketAddress source) {
        InetSocketAddress target = endpoint.address();
        ConnectRequest request = new ConnectRequest(
                security,
                security instanceof ClientSecurity.MutualTls
                        ? Set.of(SpiffeId.parse(endpoint.identity().orElseThrow()))
                        : Set.of(),
                new InetSocketAddress(target.getAddress(), hbonePort),
                HboneAuthority.of(target),
                Map.of(),
                io.ambientjava.hbone.client.HboneDialer.direct());
        if (source != null) {
            request = request.withForwardedFor(source);
        }
        return hbone.connect(request, loop).thenCompose(Transport::adapt);
    }

    /**
     * Makes a channel from {@link #open} keep half-closed connections: the endpoint ending its side fires
     * {@link io.netty.channel.socket.ChannelInputShutdownEvent} instead of closing the channel. Call on the channel's
     * event loop before it reads.
     */
    public static void keepHalfClosed(Channel ch) {
        if (ch instanceof io.netty.channel.socket.DuplexChannel) {
            ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        } else {
            ch.attr(StreamBytesAdapter.HALF_CLOSE).set(true);
        }
    }

    /** Ends this side of a channel from {@link #open}: a TCP FIN, or END_STREAM on an HBONE stream. */
    public static ChannelFuture shutdownOutput(Channel ch) {
        io.netty.handler.ssl.SslHandler tls = ch.pipeline().get(io.netty.handler.ssl.SslHandler.class);
        if (tls != null) {
            // TLS ends its side with close_notify: a bare FIN (or END_STREAM) under it would read as truncation
            ChannelPromise ended = ch.newPromise();
            tls.closeOutbound().addListener(f -> {
                if (ch instanceof io.netty.channel.socket.DuplexChannel duplex) {
                    duplex.shutdownOutput(ended);
                } else {
                    // END_STREAM goes below the TLS handler, which carries bytes only
                    ch.pipeline()
                            .context(tls)
                            .writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2DataFrame(true), ended);
                }
            });
            return ended;
        }
        if (ch instanceof io.netty.channel.socket.DuplexChannel duplex) {
            return duplex.shutdownOutput();
        }
        return ch.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2DataFrame(true));
    }

    /**
     * Starts reading a channel from {@link #open}: call on its event loop once the handlers that read it are in
     * place. Until then it reads nothing, so what the endpoint sends first (an HTTP/2 server's SETTINGS, which for
     * HBONE may have come with the CONNECT response) waits for them.
     */
    public static void startReading(Channel ch) {
        TlsOrigination.release(ch);
        StreamBytesAdapter.startReading(ch);
    }

    private static CompletableFuture<Channel> adapt(HboneStream stream) {
        CompletableFuture<Channel> result = new CompletableFuture<>();
        Channel ch = stream.channel();
        ch.eventLoop().execute(() -> {
            ch.pipeline().addLast(StreamBytesAdapter.closingAtOnce().holding(stream.takeOver()));
            result.complete(ch);
        });
        return result;
    }
}
