package io.ambientjava.perf.net;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/** Epoll event loop groups with named daemon threads; the benchmark runs on Linux only. */
public final class EpollGroups {

    private EpollGroups() {}

    public static EventLoopGroup create(String name, int threads) {
        if (threads <= 0) {
            throw new IllegalArgumentException("event loop '" + name + "' needs at least one thread, got " + threads);
        }
        Epoll.ensureAvailability();
        return new MultiThreadIoEventLoopGroup(
                threads, new DefaultThreadFactory(name, true), EpollIoHandler.newFactory());
    }

    /** Shuts a group down without a quiet period and waits a bounded time for it. */
    public static void shutdown(EventLoopGroup group) {
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}
