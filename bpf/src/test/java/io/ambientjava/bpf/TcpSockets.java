package io.ambientjava.bpf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * Plain blocking TCP sockets by fd, through FFM: the tests need what Java's sockets hide (the fd, SO_MARK,
 * getsockopt SO_ORIGINAL_DST). Every blocking call is bounded by SO_RCVTIMEO/SO_SNDTIMEO.
 */
@SuppressWarnings("restricted")
final class TcpSockets {
    static final int ZTUNNEL_MARK = 0x539;
    private static final int AF_INET = 2;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SOL_IP = 0;
    private static final int SO_REUSEADDR = 2;
    private static final int SO_RCVTIMEO = 20;
    private static final int SO_SNDTIMEO = 21;
    private static final int SO_MARK = 36;
    private static final int SO_ORIGINAL_DST = 80;
    private static final long TIMEOUT_SECONDS = 5;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout PTR = ValueLayout.ADDRESS;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

    private static final MethodHandle SOCKET = handle("socket", FunctionDescriptor.of(INT, INT, INT, INT));
    private static final MethodHandle SETSOCKOPT =
            handle("setsockopt", FunctionDescriptor.of(INT, INT, INT, INT, PTR, INT));
    private static final MethodHandle GETSOCKOPT =
            handle("getsockopt", FunctionDescriptor.of(INT, INT, INT, INT, PTR, PTR));
    private static final MethodHandle BIND = handle("bind", FunctionDescriptor.of(INT, INT, PTR, INT));
    private static final MethodHandle LISTEN = handle("listen", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle ACCEPT = handle("accept", FunctionDescriptor.of(INT, INT, PTR, PTR));
    private static final MethodHandle CONNECT = handle("connect", FunctionDescriptor.of(INT, INT, PTR, INT));
    private static final MethodHandle GETSOCKNAME = handle("getsockname", FunctionDescriptor.of(INT, INT, PTR, PTR));
    private static final MethodHandle GETPEERNAME = handle("getpeername", FunctionDescriptor.of(INT, INT, PTR, PTR));
    private static final MethodHandle READ = handle("read", FunctionDescriptor.of(LONG, INT, PTR, LONG));
    private static final MethodHandle WRITE = handle("write", FunctionDescriptor.of(LONG, INT, PTR, LONG));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle SHUTDOWN = handle("shutdown", FunctionDescriptor.of(INT, INT, INT));
    private static final int SHUT_WR = 1;
    private static final int IP_TRANSPARENT = 19;
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_INFO = 11;
    private static final long TCP_INFO_SIZE = 232;
    /** struct tcp_info: 8 one-byte fields, 24 u32, then pacing_rate, max_pacing_rate, bytes_acked (u64). */
    private static final long TCPI_BYTES_RECEIVED = 128;

    private static final MethodHandle SEND = handle("send", FunctionDescriptor.of(LONG, INT, PTR, LONG, INT));
    private static final int MSG_DONTWAIT = 0x40;
    private static final int EAGAIN = 11;
    private static final MethodHandle POLL = handle("poll", FunctionDescriptor.of(INT, PTR, LONG, INT));
    private static final short POLLIN = 1;

    private TcpSockets() {}

    private static MethodHandle handle(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(
                LINKER.defaultLookup().find(name).orElseThrow(), descriptor, Linker.Option.captureCallState("errno"));
    }

    private static long call(String what, MethodHandle handle, Object... arguments) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE);
            Object[] all = new Object[arguments.length + 1];
            all[0] = capture;
            System.arraycopy(arguments, 0, all, 1, arguments.length);
            Object result = handle.invokeWithArguments(all);
            long value = result instanceof Integer i ? i : (Long) result;
            if (value < 0) {
                throw new IOException(what + " failed: errno " + (int) ERRNO.get(capture, 0L));
            }
            return value;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(what + " failed", t);
        }
    }

    /** A new TCP socket in the calling thread's netns, with 5 s send/receive timeouts; {@code mark} 0 for none. */
    static int socket(int mark) throws IOException {
        int fd = (int) call("socket", SOCKET, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment timeout = arena.allocate(16, 8);
            timeout.set(LONG, 0, TIMEOUT_SECONDS);
            call("SO_RCVTIMEO", SETSOCKOPT, fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16);
            call("SO_SNDTIMEO", SETSOCKOPT, fd, SOL_SOCKET, SO_SNDTIMEO, timeout, 16);
            call("SO_REUSEADDR", SETSOCKOPT, fd, SOL_SOCKET, SO_REUSEADDR, arena.allocateFrom(INT, 1), 4);
            if (mark != 0) {
                call("SO_MARK", SETSOCKOPT, fd, SOL_SOCKET, SO_MARK, arena.allocateFrom(INT, mark), 4);
            }
        } catch (IOException e) {
            close(fd);
            throw e;
        }
        return fd;
    }

    /** A listening socket on {@code address}, created in the calling thread's netns. */
    static int listen(InetSocketAddress address, int mark) throws IOException {
        int fd = socket(mark);
        try (Arena arena = Arena.ofConfined()) {
            call("bind " + address, BIND, fd, sockaddr(arena, address), 16);
            call("listen", LISTEN, fd, 16);
            return fd;
        } catch (IOException e) {
            close(fd);
            throw e;
        }
    }

    /**
     * Makes {@code fd} {@code IP_TRANSPARENT} and binds it to {@code source} (port 0), as ztunnel does to deliver
     * inbound traffic from the client's address.
     */
    static void bindTransparent(int fd, java.net.InetAddress source) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            call("IP_TRANSPARENT", SETSOCKOPT, fd, SOL_IP, IP_TRANSPARENT, arena.allocateFrom(INT, 1), 4);
            bind(fd, new InetSocketAddress(source, 0));
        }
    }

    static void bind(int fd, InetSocketAddress address) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            call("bind " + address, BIND, fd, sockaddr(arena, address), 16);
        }
    }

    static void connect(int fd, InetSocketAddress target) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            call("connect to " + target, CONNECT, fd, sockaddr(arena, target), 16);
        }
    }

    /** Waits (at most 5 s) for a connection; returns the accepted fd. */
    static int accept(int listener) throws IOException {
        return (int) call("accept", ACCEPT, listener, MemorySegment.NULL, MemorySegment.NULL);
    }

    static InetSocketAddress originalDestination(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(16, 4);
            MemorySegment length = arena.allocateFrom(INT, 16);
            call("getsockopt SO_ORIGINAL_DST", GETSOCKOPT, fd, SOL_IP, SO_ORIGINAL_DST, address, length);
            return fromSockaddr(address);
        }
    }

    /**
     * The bytes this socket received through TCP ({@code tcpi_bytes_received} of {@code TCP_INFO}): bytes the
     * sk_msg fast path carried are not among them.
     */
    static long bytesReceivedThroughTcp(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(TCP_INFO_SIZE, 8);
            MemorySegment length = arena.allocateFrom(INT, (int) TCP_INFO_SIZE);
            call("getsockopt TCP_INFO", GETSOCKOPT, fd, IPPROTO_TCP, TCP_INFO, info, length);
            return info.get(LONG, TCPI_BYTES_RECEIVED);
        }
    }

    static InetSocketAddress localAddress(int fd) throws IOException {
        return name(fd, GETSOCKNAME, "getsockname");
    }

    static InetSocketAddress peerAddress(int fd) throws IOException {
        return name(fd, GETPEERNAME, "getpeername");
    }

    private static InetSocketAddress name(int fd, MethodHandle handle, String what) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(16, 4);
            MemorySegment length = arena.allocateFrom(INT, 16);
            call(what, handle, fd, address, length);
            return fromSockaddr(address);
        }
    }

    static void write(int fd, String text) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            MemorySegment buffer = arena.allocate(bytes.length);
            buffer.copyFrom(MemorySegment.ofArray(bytes));
            long written = call("write", WRITE, fd, buffer, (long) bytes.length);
            if (written != bytes.length) {
                throw new IOException("short write: " + written + " of " + bytes.length);
            }
        }
    }

    /**
     * Sends what the socket takes of {@code buffer} without blocking, like a Netty writer; 0 when the socket
     * is not writable (EAGAIN).
     */
    static long sendNonBlocking(int fd, MemorySegment buffer) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE);
            long sent = (long) SEND.invokeExact(capture, fd, buffer, buffer.byteSize(), MSG_DONTWAIT);
            if (sent >= 0) {
                return sent;
            }
            int errno = (int) ERRNO.get(capture, 0L);
            if (errno == EAGAIN) {
                return 0;
            }
            throw new IOException("send failed: errno " + errno);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("send failed", t);
        }
    }

    /** Reads into {@code buffer} once (waiting at most 5 s); the count read, 0 at the end of the stream. */
    static long readSome(int fd, MemorySegment buffer) throws IOException {
        return call("read", READ, fd, buffer, buffer.byteSize());
    }

    /** Reads exactly {@code length} bytes (5 s per read at most). */
    static String read(int fd, int length) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(length);
            long total = 0;
            while (total < length) {
                long n = call("read", READ, fd, buffer.asSlice(total), length - total);
                if (n == 0) {
                    throw new IOException("end of stream after " + total + " of " + length + " bytes");
                }
                total += n;
            }
            return new String(buffer.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }

    /** Waits (at most 5 s) until one of {@code fds} is readable (a listener: has a connection); returns it. */
    static int firstReadable(int... fds) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfds = arena.allocate(8L * fds.length, 4);
            for (int i = 0; i < fds.length; i++) {
                pollfds.set(INT, 8L * i, fds[i]);
                pollfds.set(ValueLayout.JAVA_SHORT, 8L * i + 4, POLLIN);
            }
            long ready = call("poll", POLL, pollfds, (long) fds.length, (int) (TIMEOUT_SECONDS * 1000));
            if (ready == 0) {
                throw new IOException("none of fds " + java.util.Arrays.toString(fds) + " became readable");
            }
            for (int i = 0; i < fds.length; i++) {
                if ((pollfds.get(ValueLayout.JAVA_SHORT, 8L * i + 6) & POLLIN) != 0) {
                    return fds[i];
                }
            }
            throw new IOException("poll reported readiness but no fd is readable");
        }
    }

    /** Half-closes: the peer reads the end of the stream once it has read everything before it. */
    static void shutdownOutput(int fd) throws IOException {
        call("shutdown", SHUTDOWN, fd, SHUT_WR);
    }

    static void close(int fd) {
        if (fd >= 0) {
            try {
                call("close", CLOSE, fd);
            } catch (IOException ignored) {
                // Best effort in cleanup.
            }
        }
    }

    private static MemorySegment sockaddr(Arena arena, InetSocketAddress address) {
        MemorySegment sockaddr = arena.allocate(16, 4);
        sockaddr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
        sockaddr.set(ValueLayout.JAVA_BYTE, 2, (byte) (address.getPort() >> 8));
        sockaddr.set(ValueLayout.JAVA_BYTE, 3, (byte) address.getPort());
        sockaddr.asSlice(4, 4)
                .copyFrom(MemorySegment.ofArray(address.getAddress().getAddress()));
        return sockaddr;
    }

    private static InetSocketAddress fromSockaddr(MemorySegment sockaddr) throws UnknownHostException {
        int port = ((sockaddr.get(ValueLayout.JAVA_BYTE, 2) & 0xff) << 8)
                | (sockaddr.get(ValueLayout.JAVA_BYTE, 3) & 0xff);
        byte[] ip = sockaddr.asSlice(4, 4).toArray(ValueLayout.JAVA_BYTE);
        return new InetSocketAddress((Inet4Address) InetAddress.getByAddress(ip), port);
    }
}
