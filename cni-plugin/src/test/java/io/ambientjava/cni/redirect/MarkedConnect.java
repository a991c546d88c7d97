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
    private static final MethodHandle CLOSE =
            handle("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private MarkedConnect() {}

    /** Connects with {@code mark} set and closes again; true when the connect succeeded. */
    static boolean connects(InetSocketAddress target, int mark) throws Throwable {
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
                MemorySegment address = arena.allocate(16);
                address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
                address.set(ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) target.getPort());
                byte[] ip = ((Inet4Address) target.getAddress()).getAddress();
                MemorySegment.copy(ip, 0, address, ValueLayout.JAVA_BYTE, 4, 4);
                return (int) CONNECT.invokeExact(fd, address, 16) == 0;
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        }
    }

    private static MethodHandle handle(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor);
    }
}
