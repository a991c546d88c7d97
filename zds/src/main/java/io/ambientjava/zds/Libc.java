package io.ambientjava.zds;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc calls ZDS needs, bound through FFM with errno captured. Every method returns the raw result;
 * callers check for {@code -1} and turn {@link #errno} into a {@link NativeException} with {@link #failure}.
 * Constants and struct offsets are Linux x86-64/aarch64 (LP64) values.
 */
@SuppressWarnings("restricted") // Native access is the point of this class.
final class Libc {
    static final int AF_UNIX = 1;
    static final int SOCK_SEQPACKET = 5;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SCM_RIGHTS = 1;
    static final int SO_RCVTIMEO = 20;
    static final int SO_SNDTIMEO = 21;
    static final int MSG_CTRUNC = 0x8;
    static final int MSG_TRUNC = 0x20;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
    static final int SHUT_RDWR = 2;
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;
    static final int CLONE_NEWNET = 0x40000000;
    /** {@code _IO(0xb7, 0x3)}: the namespace type of an nsfs fd, as a CLONE_NEW* flag. */
    static final long NS_GET_NSTYPE = 0xb703L;

    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENOTTY = 25;

    /** {@code struct sockaddr_un}: sa_family_t, then 108 bytes of path. */
    static final int SOCKADDR_UN_SIZE = 110;

    static final int SUN_PATH_MAX = 107;

    /** {@code struct msghdr} on LP64. */
    static final StructLayout MSGHDR = MemoryLayout.structLayout(
            ValueLayout.ADDRESS.withName("msg_name"),
            ValueLayout.JAVA_INT.withName("msg_namelen"),
            MemoryLayout.paddingLayout(4),
            ValueLayout.ADDRESS.withName("msg_iov"),
            ValueLayout.JAVA_LONG.withName("msg_iovlen"),
            ValueLayout.ADDRESS.withName("msg_control"),
            ValueLayout.JAVA_LONG.withName("msg_controllen"),
            ValueLayout.JAVA_INT.withName("msg_flags"),
            MemoryLayout.paddingLayout(4));

    static final long MSG_IOV = MSGHDR.byteOffset(MemoryLayout.PathElement.groupElement("msg_iov"));
    static final long MSG_IOVLEN = MSGHDR.byteOffset(MemoryLayout.PathElement.groupElement("msg_iovlen"));
    static final long MSG_CONTROL = MSGHDR.byteOffset(MemoryLayout.PathElement.groupElement("msg_control"));
    static final long MSG_CONTROLLEN = MSGHDR.byteOffset(MemoryLayout.PathElement.groupElement("msg_controllen"));
    static final long MSG_FLAGS = MSGHDR.byteOffset(MemoryLayout.PathElement.groupElement("msg_flags"));

    /** {@code struct iovec}: base, length. */
    static final long IOVEC_SIZE = 16;

    /** {@code struct cmsghdr} header: size_t len, int level, int type; data follows, 8-byte aligned. */
    static final int CMSG_HEADER = 16;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final java.lang.foreign.AddressLayout PTR = ValueLayout.ADDRESS;

    private static final MethodHandle SOCKET = downcall("socket", FunctionDescriptor.of(INT, INT, INT, INT));
    private static final MethodHandle BIND = downcall("bind", FunctionDescriptor.of(INT, INT, PTR, INT));
    private static final MethodHandle LISTEN = downcall("listen", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle ACCEPT4 = downcall("accept4", FunctionDescriptor.of(INT, INT, PTR, PTR, INT));
    private static final MethodHandle CONNECT = downcall("connect", FunctionDescriptor.of(INT, INT, PTR, INT));
    private static final MethodHandle SENDMSG = downcall("sendmsg", FunctionDescriptor.of(LONG, INT, PTR, INT));
    private static final MethodHandle RECVMSG = downcall("recvmsg", FunctionDescriptor.of(LONG, INT, PTR, INT));
    private static final MethodHandle SETSOCKOPT =
            downcall("setsockopt", FunctionDescriptor.of(INT, INT, INT, INT, PTR, INT));
    private static final MethodHandle SHUTDOWN = downcall("shutdown", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle OPEN =
            downcall("open", FunctionDescriptor.of(INT, PTR, INT, INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL =
            downcall("ioctl", FunctionDescriptor.of(INT, INT, LONG), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(), FunctionDescriptor.of(PTR, INT));

    private Libc() {}

    /** A per-call buffer for errno; allocate one per native call site from the caller's arena. */
    static MemorySegment errnoBuffer(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    static NativeException failure(String call, String subject, MemorySegment capture) {
        int errno = errno(capture);
        return new NativeException(call, subject, errno, strerror(errno));
    }

    static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0);
        } catch (Throwable e) {
            return "errno " + errno;
        }
    }

    static int socket(MemorySegment capture, int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(capture, domain, type, protocol);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    static int bind(MemorySegment capture, int fd, MemorySegment address, int length) {
        try {
            return (int) BIND.invokeExact(capture, fd, address, length);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    static int listen(MemorySegment capture, int fd, int backlog) {
        try {
            return (int) LISTEN.invokeExact(capture, fd, backlog);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    static int accept4(MemorySegment capture, int fd, int flags) {
        try {
            return (int) ACCEPT4.invokeExact(capture, fd, MemorySegment.NULL, MemorySegment.NULL, flags);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    static int connect(MemorySegment capture, int fd, MemorySegment address, int length) {
        try {
            return (int) CONNECT.invokeExact(capture, fd, address, length);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    static long sendmsg(MemorySegment capture, int fd, MemorySegment msghdr, int flags) {
        try {
            return (long) SENDMSG.invokeExact(capture, fd, msghdr, flags);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    static long recvmsg(MemorySegment capture, int fd, MemorySegment msghdr, int flags) {
        try {
            return (long) RECVMSG.invokeExact(capture, fd, msghdr, flags);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    static int setsockopt(MemorySegment capture, int fd, int level, int name, MemorySegment value, int length) {
        try {
            return (int) SETSOCKOPT.invokeExact(capture, fd, level, name, value, length);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    static int shutdown(MemorySegment capture, int fd, int how) {
        try {
            return (int) SHUTDOWN.invokeExact(capture, fd, how);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    static int close(MemorySegment capture, int fd) {
        try {
            return (int) CLOSE.invokeExact(capture, fd);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    static int open(MemorySegment capture, MemorySegment path, int flags) {
        try {
            return (int) OPEN.invokeExact(capture, path, flags, 0);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    static int ioctl(MemorySegment capture, int fd, long request) {
        try {
            return (int) IOCTL.invokeExact(capture, fd, request);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** A {@code sockaddr_un} for {@code path}; the path must fit (107 bytes plus the terminator). */
    static MemorySegment sockaddrUn(Arena arena, String path) {
        byte[] bytes = path.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length > SUN_PATH_MAX) {
            throw new IllegalArgumentException(
                    "unix socket path must be 1.." + SUN_PATH_MAX + " bytes, was " + bytes.length + ": " + path);
        }
        MemorySegment address = arena.allocate(SOCKADDR_UN_SIZE);
        address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(bytes, 0, address, ValueLayout.JAVA_BYTE, 2, bytes.length);
        return address;
    }

    /** Closes {@code fd}, ignoring errors: for cleanup paths where nothing better can be done. */
    static void closeQuietly(int fd) {
        if (fd < 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            close(errnoBuffer(arena), fd);
        }
    }

    private static RuntimeException rethrow(Throwable e) {
        if (e instanceof RuntimeException r) {
            throw r;
        }
        if (e instanceof Error err) {
            throw err;
        }
        return new IllegalStateException("native call failed", e);
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(options, 0, all, 1, options.length);
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, all);
    }
}
