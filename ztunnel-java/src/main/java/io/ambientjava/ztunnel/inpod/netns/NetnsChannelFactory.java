package io.ambientjava.ztunnel.inpod.netns;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFactory;
import java.time.Duration;

/** Creates each channel (and so its socket) inside a network namespace; see {@link NettyInNetns#channelFactory}. */
final class NetnsChannelFactory<C extends Channel> implements ChannelFactory<C> {
    private final NetnsExecutor executor;
    private final NetworkNamespace namespace;
    private final ChannelFactory<C> delegate;
    private final Duration timeout;

    NetnsChannelFactory(
            NetnsExecutor executor, NetworkNamespace namespace, ChannelFactory<C> delegate, Duration timeout) {
        this.executor = executor;
        this.namespace = namespace;
        this.delegate = delegate;
        this.timeout = timeout;
    }

    @Override
    public C newChannel() {
        if (executor.isWorkerInside(namespace)) {
            return delegate.newChannel();
        }
        try {
            return executor.call(namespace, delegate::newChannel, timeout);
        } catch (ChannelException e) {
            throw e;
        } catch (Exception e) {
            throw new ChannelException("cannot create a channel inside " + namespace + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return delegate + " in " + namespace;
    }
}
