package io.ambientjava.waypoint.proxy;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.server.ConnectDecision;
import io.ambientjava.hbone.server.HboneConnector;
import io.ambientjava.hbone.server.InboundConnect;
import io.ambientjava.hbone.tunnel.Tunnel;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Takes HBONE CONNECTs for service VIPs: refuses a VIP:port the waypoint has no listener for, otherwise hands
 * the tunnel to the HTTP side. The hand-off is a loopback TCP connection to an internal listener (the HBONE
 * server pipes CONNECT streams to a channel); the connection's local port identifies its CONNECT there, so no
 * metadata crosses the wire.
 */
public final class InboundConnector implements HboneConnector, AutoCloseable {

    private final ProxyRuntime runtime;
    private final Map<Integer, DownstreamContext> pendingByPort;
    private final DownstreamListener internal;
    private final InetSocketAddress internalAddress;

    private InboundConnector(
            ProxyRuntime runtime, DownstreamListener internal, Map<Integer, DownstreamContext> pendingByPort) {
        this.runtime = runtime;
        this.pendingByPort = pendingByPort;
        this.internal = internal;
        this.internalAddress = internal.localAddress();
    }

    /** Binds the internal hand-off listener on loopback. */
    public static InboundConnector start(EventLoopGroup group, ProxyRuntime runtime) {
        Map<Integer, DownstreamContext> byPort = new ConcurrentHashMap<>();
        DownstreamListener listener = DownstreamListener.bind(
                        group,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        runtime,
                        ch -> byPort.remove(((InetSocketAddress) ch.remoteAddress()).getPort()))
                .join();
        return new InboundConnector(runtime, listener, byPort);
    }

    @Override
    public CompletionStage<ConnectDecision> connect(InboundConnect request) {
        InetSocketAddress target = request.authority().socketAddress();
        String ip = target.getAddress().getHostAddress();
        if (runtime.config().listenerFor(ip, target.getPort()).isEmpty()) {
            return CompletableFuture.completedFuture(
                    ConnectDecision.unavailable("the waypoint has no listener for " + ip + ":" + target.getPort()));
        }
        DownstreamContext context = new DownstreamContext(
                ip,
                target.getPort(),
                request.connection().peerIdentity(),
                request.forwarded()
                        .flatMap(InboundConnector::parseForwardedFor)
                        .or(() -> Optional.of(
                                (InetSocketAddress) request.connection().remoteAddress())),
                request.baggage());
        CompletableFuture<ConnectDecision> decision = new CompletableFuture<>();
        Bootstrap bootstrap = new Bootstrap()
                .group(request.eventLoop())
                .channel(NettyTransport.socketChannelClass(request.eventLoop()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        Tunnel.holdInput(ch);
                    }
                });
        var registered = bootstrap.register();
        registered.addListener(r -> {
            if (!r.isSuccess()) {
                decision.complete(ConnectDecision.unavailable("cannot open the internal hand-off: " + r.cause()));
                return;
            }
            Channel ch = registered.channel();
            ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).addListener(b -> {
                if (!b.isSuccess()) {
                    ch.close();
                    decision.complete(ConnectDecision.unavailable("cannot bind the internal hand-off: " + b.cause()));
                    return;
                }
                int port = ((InetSocketAddress) ch.localAddress()).getPort();
                pendingByPort.put(port, context);
                ch.connect(internalAddress).addListener(c -> {
                    if (c.isSuccess()) {
                        decision.complete(ConnectDecision.connected(ch));
                    } else {
                        pendingByPort.remove(port);
                        ch.close();
                        decision.complete(ConnectDecision.unavailable("internal hand-off failed: " + c.cause()));
                    }
                });
            });
        });
        return decision;
    }

    /** {@code for="198.18.0.5:43210"} (or unquoted, or IPv6 in brackets) → the address. */
    static Optional<InetSocketAddress> parseForwardedFor(String forwarded) {
        for (String part : forwarded.split("[;,]")) {
            String p = part.trim();
            if (!p.regionMatches(true, 0, "for=", 0, 4)) {
                continue;
            }
            String value = p.substring(4).replace("\"", "");
            int colon = value.lastIndexOf(':');
            try {
                if (value.startsWith("[")) {
                    int close = value.indexOf(']');
                    String host = value.substring(1, close);
                    int port = close + 1 < value.length() ? Integer.parseInt(value.substring(close + 2)) : 0;
                    return Optional.of(new InetSocketAddress(InetAddress.ofLiteral(host), port));
                }
                if (colon > 0) {
                    return Optional.of(new InetSocketAddress(
                            InetAddress.ofLiteral(value.substring(0, colon)),
                            Integer.parseInt(value.substring(colon + 1))));
                }
                return Optional.of(new InetSocketAddress(InetAddress.ofLiteral(value), 0));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        internal.close();
    }
}
