package io.ambientjava.cni.redirect;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;

/** A TCP connect from a socket carrying {@code SO_MARK}, as ztunnel's sockets do (the JDK cannot set marks). */
@SuppressWarnings("restricted")
final class MarkedConnect {
    private static final int AF_INET = 2;
    private static final int SOCK_STREAM = 1;
    private static final int SOL_SOCKET = 1;
    private static final int SO_MARK = 36;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SOCKET = handle(
            "socket",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle SETSOCKOPT = handle(
            "setsockopt",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_INT));
    private static final MethodHandle CONNECT = handle(
            "connect",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle BIND = handle(
            "bind",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final int SOL_IP = 0;
    private static final int IP_TRANSPARENT = 19;
    private static final int SO_SNDTIMEO = 21;
    private static final MethodHandle CLOSE =
            handle("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private MarkedConnect() {}

    /** Connects with {@code mark} set and closes again; true when the connect succeeded. */
    static boolean connects(InetSocketAddress target, int mark) throws Throwable {
        return connects(target, mark, null);
    }

    /**
     * Like ztunnel's inbound: a transparent socket bound to {@code spoofedSource} (an address not in this
     * namespace) with {@code mark}, connecting to {@code target}; true when the handshake completed.
     */
    static boolean connects(InetSocketAddress target, int mark, InetSocketAddress spoofedSource) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) SOCKET.invokeExact(AF_INET, SOCK_STREAM, 0);
            if (fd < 0) {
                throw new IllegalStateException("socket failed");
            }
            try {
                MemorySegment value = arena.allocateFrom(ValueLayout.JAVA_INT, mark);
                if ((int) SETSOCKOPT.invokeExact(fd, SOL_SOCKET, SO_MARK, value, 4) != 0) {
                    throw new IllegalStateException("setsockopt SO_MARK failed");
                }
                // connect() honours the send timeout: a handshake that never completes gives up after 2 s.
                MemorySegment timeout = arena.allocate(16, 8);
                timeout.set(ValueLayout.JAVA_LONG, 0, 2);
                if ((int) SETSOCKOPT.invokeExact(fd, SOL_SOCKET, SO_SNDTIMEO, timeout, 16) != 0) {
                    throw new IllegalStateException("setsockopt SO_SNDTIMEO failed");
                }
                if (spoofedSource != null) {
                    MemorySegment on = arena.allocateFrom(ValueLayout.JAVA_INT, 1);
                    if ((int) SETSOCKOPT.invokeExact(fd, SOL_IP, IP_TRANSPARENT, on, 4) != 0) {
                        throw new IllegalStateException("setsockopt IP_TRANSPARENT failed");
                    }
                    if ((int) BIND.invokeExact(fd, sockaddr(arena, spoofedSource), 16) != 0) {
                        throw new IllegalStateException("bind to " + spoofedSource + " failed");
                    }
                }
                return (int) CONNECT.invokeExact(fd, sockaddr(arena, target), 16) == 0;
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        }
    }

    private static MemorySegment sockaddr(Arena arena, InetSocketAddress socketAddress) {
        MemorySegment address = arena.allocate(16);
        address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
        address.set(ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) socketAddress.getPort());
        byte[] ip = ((Inet4Address) socketAddress.getAddress()).getAddress();
        MemorySegment.copy(ip, 0, address, ValueLayout.JAVA_BYTE, 4, 4);
        return address;
    }

    private static MethodHandle handle(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor);
    }
}
