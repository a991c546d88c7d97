package io.ambientjava.ztunnel.inpod.netns;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Netty sockets inside a pod's network namespace.
 *
 * <p>Netty creates a channel's socket on the thread that calls {@code bind()} or {@code connect()}
 * ({@code channelFactory.newChannel()} in {@code initAndRegister}); registration, the actual bind or
 * connect and all later I/O run on the event loop. So calling {@code bind()}/{@code connect()} on the
 * {@link NetnsExecutor} worker puts the socket in the pod's namespace while the event loops stay in the
 * host namespace. Before hopping, the event loops of the bootstrap's group are started from the calling
 * thread: Netty starts them lazily, and one started from the worker would live in the pod for good.
 */
public final class NettyInNetns {
    private final NetnsExecutor executor;

    public NettyInNetns(NetnsExecutor executor) {
        this.executor = executor;
    }

    /**
     * Binds a listener (TCP with a ServerBootstrap, UDP with a Bootstrap) inside {@code namespace}; the
     * future completes with the bound channel, or fails with the bind error.
     */
    public CompletableFuture<Channel> bindInNetns(
            NetworkNamespace namespace, AbstractBootstrap<?, ?> bootstrap, SocketAddress local) {
        startEventLoops(bootstrap.config().group());
        return executor.run(namespace, () -> bootstrap.bind(local)).thenCompose(NettyInNetns::whenDone);
    }

    /**
     * Connects from inside {@code namespace}; only the socket is created on the netns worker, the caller
     * does not wait for it (the non-blocking alternative to {@link #channelFactory}).
     */
    public CompletableFuture<Channel> connectInNetns(
            NetworkNamespace namespace, Bootstrap bootstrap, SocketAddress remote) {
        startEventLoops(bootstrap.config().group());
        return executor.run(namespace, () -> bootstrap.connect(remote)).thenCompose(NettyInNetns::whenDone);
    }

    /**
     * A channel factory whose channels are created inside {@code namespace}, for bootstraps whose
     * {@code connect()} is called where the caller cannot compose a future, typically from a handler on an
     * event loop. Trade-off: {@code newChannel()} blocks its caller (which may be an event loop) while the
     * worker enters the namespace, creates the socket and returns: a few microseconds when the worker is
     * idle, longer when other pods' work is queued ahead, at most {@code timeout}, after which the connect
     * fails. Prefer {@link #connectInNetns} from code that can wait for a future. When the worker itself
     * calls it (connectInNetns with this factory) the channel is created directly.
     */
    public <C extends Channel> ChannelFactory<C> channelFactory(
            NetworkNamespace namespace, ChannelFactory<C> delegate, Duration timeout) {
        return new NetnsChannelFactory<>(executor, namespace, delegate, timeout);
    }

    private static void startEventLoops(EventLoopGroup group) {
        if (group == null) {
            throw new IllegalStateException("the bootstrap has no event loop group");
        }
        for (EventExecutor loop : group) {
            if (!loop.isShuttingDown()) {
                loop.execute(() -> {});
            }
        }
    }

    private static CompletableFuture<Channel> whenDone(ChannelFuture future) {
        CompletableFuture<Channel> done = new CompletableFuture<>();
        future.addListener(f -> {
            if (f.isSuccess()) {
                done.complete(future.channel());
            } else {
                done.completeExceptionally(f.cause());
            }
        });
        return done;
    }
}
