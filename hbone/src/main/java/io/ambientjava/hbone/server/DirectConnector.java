package io.ambientjava.hbone.server;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.tunnel.Tunnel;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Dials the CONNECT authority directly over TCP on the stream's event loop, with no authorization of its own.
 * Answers 503 when the dial fails.
 */
public final class DirectConnector implements HboneConnector {

    private final Duration connectTimeout;
    private final Consumer<Bootstrap> customizer;

    /** @param customizer adjusts each upstream bootstrap (local address, socket options) before it connects */
    public DirectConnector(Duration connectTimeout, Consumer<Bootstrap> customizer) {
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.customizer = Objects.requireNonNull(customizer, "customizer");
    }

    public DirectConnector() {
        this(Duration.ofSeconds(10), bootstrap -> {});
    }

    @Override
    public CompletionStage<ConnectDecision> connect(InboundConnect request) {
        Bootstrap bootstrap = new Bootstrap()
                .group(request.eventLoop())
                .channel(NettyTransport.socketChannelClass(request.eventLoop()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        Tunnel.holdInput(ch); // a target may talk (and even close) before our 200 is out
                    }
                });
        customizer.accept(bootstrap);
        CompletableFuture<ConnectDecision> decision = new CompletableFuture<>();
        ChannelFuture dial = bootstrap.connect(request.authority().socketAddress());
        dial.addListener(f -> {
            if (f.isSuccess()) {
                decision.complete(ConnectDecision.connected(dial.channel()));
            } else {
                decision.complete(ConnectDecision.unavailable("connecting to " + request.authority() + " failed: "
                        + f.cause().getMessage()));
            }
        });
        return decision;
    }
}
