package io.ambientjava.ztunnel.proxy;

import io.ambientjava.hbone.tunnel.TcpInputHold;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Pipes bytes both ways between two TCP channels (plain passthrough, and plaintext delivered to an app).
 *
 * <ul>
 *   <li>A FIN from one side becomes {@code shutdownOutput()} on the other once everything before it is written; the
 *       other direction keeps flowing. When both directions have ended both channels are closed.
 *   <li>An error or an early close on one side resets the other (SO_LINGER 0), so the app sees the failure.
 *   <li>Backpressure: a side stops reading while the other is not writable.
 * </ul>
 *
 * Both channels should be accepted or connected with auto-read off and half-closure allowed, and carry an
 * {@link TcpInputHold} from the start: the relay takes over what it kept.
 */
public final class TcpRelay {

    static final String HANDLER_NAME = "tcp-relay";

    private final Channel client;
    private final Channel server;
    private final CompletableFuture<RelayResult> completion = new CompletableFuture<>();
    private final AtomicReference<String> error = new AtomicReference<>();
    private final AtomicInteger openChannels = new AtomicInteger(2);
    private final AtomicInteger directionsEnded = new AtomicInteger();
    private volatile long clientToServer; // written on the client's loop only
    private volatile long serverToClient; // written on the server's loop only

    private TcpRelay(Channel client, Channel server) {
        this.client = client;
        this.server = server;
    }

    /** Starts relaying; both channels are owned by the relay from here. */
    public static TcpRelay start(Channel client, Channel server) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(server, "server");
        TcpRelay relay = new TcpRelay(client, server);
        relay.install(client, server, true);
        relay.install(server, client, false);
        return relay;
    }

    private void install(Channel from, Channel to, boolean fromClient) {
        from.config().setAutoRead(false);
        from.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        from.closeFuture().addListener(f -> onClosed(from));
        Runnable takeOver = () -> {
            TcpInputHold.Held held = TcpInputHold.takeOver(from);
            if (!from.isActive()) {
                held.release();
                abort((fromClient ? "client" : "server") + " closed before the relay started");
                return;
            }
            from.pipeline().addLast(HANDLER_NAME, new Side(to, fromClient));
            TcpInputHold.replay(from, held);
            from.config().setAutoRead(true);
        };
        if (from.eventLoop().inEventLoop()) {
            takeOver.run();
        } else {
            from.eventLoop().execute(takeOver);
        }
    }

    public long clientToServer() {
        return clientToServer;
    }

    public long serverToClient() {
        return serverToClient;
    }

    /** Completes once both channels are closed; never exceptionally. */
    public CompletableFuture<RelayResult> completion() {
        return completion;
    }

    /** Resets both sides now. */
    public void abort(String reason) {
        if (!error.compareAndSet(null, reason)) {
            return;
        }
        reset(client);
        reset(server);
    }

    private static void reset(Channel channel) {
        Resets.reset(channel);
    }

    private void directionEnded() {
        if (directionsEnded.incrementAndGet() == 2 && error.get() == null) {
            client.close();
            server.close();
        }
    }

    private void onClosed(Channel channel) {
        if (directionsEnded.get() < 2) {
            abort((channel == client ? "client" : "server") + " connection closed before the relay finished");
        }
        if (openChannels.decrementAndGet() == 0) {
            completion.complete(new RelayResult(clientToServer, serverToClient, Optional.ofNullable(error.get())));
        }
    }

    /** The handler on one channel: reads from it and writes to {@code to}. */
    private final class Side extends ChannelInboundHandlerAdapter {
        private final Channel to;
        private final boolean fromClient;
        private boolean inputEnded;

        Side(Channel to, boolean fromClient) {
            this.to = to;
            this.fromClient = fromClient;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf data)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            int bytes = data.readableBytes();
            if (fromClient) {
                clientToServer += bytes;
            } else {
                serverToClient += bytes;
            }
            to.write(data, to.voidPromise());
            if (!to.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            to.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // This channel drained what the other side sent it: let the other side read again.
            if (ctx.channel().isWritable()) {
                to.config().setAutoRead(true);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent && !inputEnded) {
                inputEnded = true;
                to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(written -> {
                    if (!written.isSuccess()) {
                        abort("writing to the " + (fromClient ? "server" : "client") + " failed: " + written.cause());
                    } else if (to instanceof DuplexChannel duplex) {
                        duplex.shutdownOutput().addListener(shut -> {
                            if (shut.isSuccess()) {
                                directionEnded();
                            } else {
                                abort("shutting down output to the " + (fromClient ? "server" : "client") + " failed: "
                                        + shut.cause());
                            }
                        });
                    } else {
                        directionEnded();
                    }
                });
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            abort((fromClient ? "client" : "server") + " connection failed: " + cause.getMessage());
        }
    }
}
