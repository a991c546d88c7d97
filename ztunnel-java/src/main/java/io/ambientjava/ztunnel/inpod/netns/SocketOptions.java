package io.ambientjava.ztunnel.inpod.netns;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.UnixChannel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * The socket options in-pod proxying needs, on Netty epoll channels.
 *
 * <p>{@code IP_TRANSPARENT} and {@code IP_FREEBIND} are Netty options ({@link EpollChannelOption}); set them
 * on the bootstrap where possible so they apply before bind, or with the helpers here. {@code SO_MARK} has
 * no Netty option, so it is set through FFM on the channel's file descriptor: wrap the channel factory with
 * {@link #marked} so the mark is on the socket before it connects or binds.
 */
public final class SocketOptions {
    /** ztunnel's packet mark; the in-pod redirection rules let packets carrying it pass. */
    public static final int ZTUNNEL_MARK = 0x539;

    private static final short AF_INET = 2;
    private static final short AF_INET6 = 10;
    private static final int SOCKADDR_IN_SIZE = 16;
    private static final int SOCKADDR_IN6_SIZE = 28;
    private static final ValueLayout.OfShort PORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private SocketOptions() {}

    /** Sets {@code SO_MARK} (needs CAP_NET_ADMIN). */
    public static void setMark(Channel channel, int mark) throws ErrnoException {
        Libc.setsockoptInt(fd(channel), Libc.SOL_SOCKET, Libc.SO_MARK, "SO_MARK", mark);
    }

    public static int mark(Channel channel) throws ErrnoException {
        return Libc.getsockoptInt(fd(channel), Libc.SOL_SOCKET, Libc.SO_MARK, "SO_MARK");
    }

    /** A factory whose channels carry {@code mark} from the start. */
    public static <C extends Channel> ChannelFactory<C> marked(ChannelFactory<C> delegate, int mark) {
        return () -> {
            C channel = delegate.newChannel();
            try {
                setMark(channel, mark);
            } catch (ErrnoException e) {
                channel.unsafe().closeForcibly();
                throw new io.netty.channel.ChannelException("cannot mark a new channel: " + e.getMessage(), e);
            }
            return channel;
        };
    }

    /** {@code IP_TRANSPARENT}: bind to (and connect from) addresses that are not local; needs CAP_NET_ADMIN. */
    public static void setTransparent(Channel channel, boolean on) {
        set(channel, EpollChannelOption.IP_TRANSPARENT, on);
    }

    public static boolean isTransparent(Channel channel) {
        return get(channel, EpollChannelOption.IP_TRANSPARENT);
    }

    /** {@code IP_FREEBIND}: bind to an address not (yet) configured on any interface. */
    public static void setFreebind(Channel channel, boolean on) {
        set(channel, EpollChannelOption.IP_FREEBIND, on);
    }

    public static boolean isFreebind(Channel channel) {
        return get(channel, EpollChannelOption.IP_FREEBIND);
    }

    /**
     * Where the client meant to connect before a NAT redirect (nftables {@code redirect}/iptables
     * {@code REDIRECT}) brought the connection to this socket: {@code SO_ORIGINAL_DST} for IPv4,
     * {@code IP6T_SO_ORIGINAL_DST} for IPv6.
     *
     * @throws ErrnoException ENOENT when the connection was not redirected (no NAT entry)
     */
    public static InetSocketAddress originalDestination(EpollSocketChannel channel) throws ErrnoException {
        // Netty reports IPv4-mapped addresses of dual-stack sockets as IPv4; their conntrack entry is IPv4.
        boolean ipv6 = channel.localAddress() != null && channel.localAddress().getAddress() instanceof Inet6Address;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sockaddr = arena.allocate(ipv6 ? SOCKADDR_IN6_SIZE : SOCKADDR_IN_SIZE, 8);
            int length = Libc.getsockopt(
                    fd(channel),
                    ipv6 ? Libc.SOL_IPV6 : Libc.SOL_IP,
                    Libc.SO_ORIGINAL_DST,
                    ipv6 ? "IP6T_SO_ORIGINAL_DST" : "SO_ORIGINAL_DST",
                    sockaddr,
                    arena);
            return decodeSockaddr(sockaddr.asSlice(0, Math.min(length, sockaddr.byteSize())));
        }
    }

    /** Decodes a {@code sockaddr_in} or {@code sockaddr_in6} (family in host order, port big-endian). */
    static InetSocketAddress decodeSockaddr(MemorySegment sockaddr) {
        if (sockaddr.byteSize() < 2) {
            throw new IllegalArgumentException("sockaddr of " + sockaddr.byteSize() + " bytes has no family");
        }
        short family = sockaddr.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0);
        int port = Short.toUnsignedInt(sockaddr.get(PORT, 2));
        try {
            return switch (family) {
                case AF_INET -> {
                    requireSize(sockaddr, 8, "sockaddr_in");
                    byte[] address = sockaddr.asSlice(4, 4).toArray(ValueLayout.JAVA_BYTE);
                    yield new InetSocketAddress((Inet4Address) InetAddress.getByAddress(address), port);
                }
                case AF_INET6 -> {
                    requireSize(sockaddr, 24, "sockaddr_in6");
                    byte[] address = sockaddr.asSlice(8, 16).toArray(ValueLayout.JAVA_BYTE);
                    int scope = sockaddr.byteSize() >= 28 ? sockaddr.get(ValueLayout.JAVA_INT_UNALIGNED, 24) : 0;
                    yield new InetSocketAddress(Inet6Address.getByAddress(null, address, scope), port);
                }
                default ->
                    throw new IllegalArgumentException(
                            "sockaddr family " + family + " is neither AF_INET nor AF_INET6");
            };
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("malformed address in sockaddr", e);
        }
    }

    private static void requireSize(MemorySegment sockaddr, int size, String type) {
        if (sockaddr.byteSize() < size) {
            throw new IllegalArgumentException(type + " needs " + size + " bytes, got " + sockaddr.byteSize());
        }
    }

    private static int fd(Channel channel) {
        if (!(channel instanceof UnixChannel unix)) {
            throw new IllegalArgumentException("socket options need a native (epoll) channel, not "
                    + channel.getClass().getSimpleName());
        }
        if (!unix.fd().isOpen()) {
            throw new IllegalStateException("channel " + channel + " is closed");
        }
        return unix.fd().intValue();
    }

    private static void set(Channel channel, ChannelOption<Boolean> option, boolean on) {
        fd(channel);
        if (!channel.config().setOption(option, on)) {
            throw new IllegalArgumentException(
                    option.name() + " is not supported by " + channel.getClass().getSimpleName());
        }
    }

    private static boolean get(Channel channel, ChannelOption<Boolean> option) {
        fd(channel);
        Boolean value = channel.config().getOption(option);
        if (value == null) {
            throw new IllegalArgumentException(
                    option.name() + " is not supported by " + channel.getClass().getSimpleName());
        }
        return value;
    }
}
