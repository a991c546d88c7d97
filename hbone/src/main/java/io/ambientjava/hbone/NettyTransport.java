package io.ambientjava.hbone;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Event loop groups for HBONE and the TCP channel classes that match them: epoll where the group runs epoll,
 * else NIO.
 */
public final class NettyTransport {

    private static final Logger log = LoggerFactory.getLogger(NettyTransport.class);

    private NettyTransport() {}

    /**
     * A new event loop group on epoll when the native transport loads, otherwise NIO. Use this (or
     * {@link #ioHandlerFactory()}) for groups that carry tunnels: its epoll flavour keeps half-closed sockets
     * working (see {@link EpollKeepRegisteredIoHandler}).
     */
    public static EventLoopGroup newEventLoopGroup(int threads, String threadNamePrefix) {
        var threadFactory = new DefaultThreadFactory(threadNamePrefix, true);
        return new MultiThreadIoEventLoopGroup(threads, threadFactory, ioHandlerFactory());
    }

    /** Epoll (with the half-close fix) when the native transport loads, otherwise NIO. */
    public static IoHandlerFactory ioHandlerFactory() {
        return Epoll.isAvailable() ? EpollKeepRegisteredIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    public static boolean isEpoll(EventLoopGroup group) {
        return group instanceof IoEventLoopGroup io && io.isCompatible(EpollIoHandle.class);
    }

    /**
     * Warns once per group that runs Netty's plain epoll handler, whose half-close defect resets tunnels that
     * keep sending after the peer's FIN.
     */
    public static void checkHalfCloseSafe(EventLoopGroup group) {
        if (group instanceof IoEventLoopGroup io && io.isIoType(EpollIoHandler.class)) {
            log.warn(
                    "event loop group {} runs Netty's plain EpollIoHandler: half-closed tunnels may be reset when "
                            + "they write after a FIN; create it with NettyTransport.newEventLoopGroup/ioHandlerFactory",
                    group);
        }
    }

    public static Class<? extends SocketChannel> socketChannelClass(EventLoopGroup group) {
        return isEpoll(group) ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    public static Class<? extends ServerSocketChannel> serverChannelClass(EventLoopGroup group) {
        return isEpoll(group) ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }
}
