package io.ambientjava.ztunnel.inpod.netns;

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
 * The few C library calls the in-pod code needs, as FFM downcalls (no JNI). Each failing call throws an
 * {@link ErrnoException} whose message names the call and carries errno's text; errno is captured by the
 * linker right after the call, before the JVM can clobber it.
 */
@SuppressWarnings("restricted") // Native access is the point of this class.
final class Libc {
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;
    static final int CLONE_NEWNET = 0x40000000;
    static final int SOL_SOCKET = 1;
    static final int SO_MARK = 36;
    static final int SOL_IP = 0;
    static final int SOL_IPV6 = 41;
    /** {@code SO_ORIGINAL_DST} (SOL_IP) and {@code IP6T_SO_ORIGINAL_DST} (SOL_IPV6) share the number. */
    static final int SO_ORIGINAL_DST = 80;
    /** {@code _IO(0xb7, 0x3)}: asks an nsfs file which kind of namespace it is (Linux 4.11+). */
    static final long NS_GET_NSTYPE = 0xb703;

    private static final int AT_FDCWD = -100;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_INO = 0x100;
    // struct statx has the same layout on every architecture (unlike struct stat).
    private static final long STATX_SIZE = 256;
    private static final long STX_INO = 32;
    private static final long STX_DEV_MAJOR = 136;
    private static final long STX_DEV_MINOR = 140;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle OPEN = capturing(
            "open",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE =
            capturing("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle SETNS =
            capturing("setns", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle IOCTL = capturing(
            "ioctl",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle STATX = capturing(
            "statx",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS));
    private static final MethodHandle GETSOCKOPT = capturing(
            "getsockopt",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS));
    private static final MethodHandle SETSOCKOPT = capturing(
            "setsockopt",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_INT));
    private static final MethodHandle GETTID = plain("gettid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
    // glibc's strerror is thread-safe for the known errno values (2.32+); it is only used for messages.
    private static final MethodHandle STRERROR =
            plain("strerror", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private Libc() {}

    static int open(String path, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            int fd = (int) OPEN.invokeExact(capture, arena.allocateFrom(path), flags, 0);
            return check(fd, capture, () -> "open(" + path + ")");
        } catch (ErrnoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("downcall open", e);
        }
    }

    static void close(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            check((int) CLOSE.invokeExact(capture, fd), capture, () -> "close(fd " + fd + ")");
        } catch (ErrnoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("downcall close", e);
        }
    }

    static void setns(int fd, int nstype) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            int rc = (int) SETNS.invokeExact(capture, fd, nstype);
            check(
                    rc,
                    capture,
                    () -> "setns(fd " + fd + ", " + (nstype == CLONE_NEWNET ? "CLONE_NEWNET" : nstype) + ")");
        } catch (ErrnoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("downcall setns", e);
        }
    }

    /** An ioctl without argument; returns the call's non-negative result. */
    static int ioctl(int fd, long request, String requestName) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            int rc = (int) IOCTL.invokeExact(capture, fd, request);
            return check(rc, capture, () -> "ioctl(fd " + fd + ", " + requestName + ")");
        } catch (ErrnoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("downcall ioctl", e);
        }
    }

    /** Device and inode of an open file. */
    static NetnsId fileId(int fd) throws ErrnoException {
        return statx(fd, "", AT_EMPTY_PATH, () -> "statx(fd " + fd + ")");
    }

    /** Device and inode of the file {@code path} leads to (symlinks followed). */
    static NetnsId fileId(String path) throws ErrnoException {
        return statx(AT_FDCWD, path, 0, () -> "statx(" + path + ")");
    }

    private static NetnsId statx(int dirFd, String path, int flags, CallName call) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            MemorySegment buffer = arena.allocate(STATX_SIZE, 8);
            int rc = (int) STATX.invokeExact(capture, dirFd, arena.allocateFrom(path), flags, STATX_INO, buffer);
            check(rc, capture, call);
            long major = Integer.toUnsignedLong(buffer.get(ValueLayout.JAVA_INT, STX_DEV_MAJOR));
            long minor = Integer.toUnsignedLong(buffer.get(ValueLayout.JAVA_INT, STX_DEV_MINOR));
            return new NetnsId(major << 32 | minor, buffer.get(ValueLayout.JAVA_LONG, STX_INO));
        } catch (ErrnoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("downcall statx", e);
        }
    }

    static int getsockoptInt(int fd, int level, int option, String name) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            getsockopt(fd, level, option, name, value, arena);
            return value.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** Fills {@code value} and returns how many bytes the kernel wrote. */
    static int getsockopt(int fd, int level, int option, String name, MemorySegment value, Arena arena)
            throws ErrnoException {
        try {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            MemorySegment length = arena.allocateFrom(ValueLayout.JAVA_INT, (int) value.byteSize());
            int rc = (int) GETSOCKOPT.invokeExact(capture, fd, level, option, value, length);
            check(rc, capture, () -> "getsockopt(fd " + fd + ", " + name + ")");
            return length.get(ValueLayout.JAVA_INT, 0);
        } catch (ErrnoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("downcall getsockopt", e);
        }
    }

    static void setsockoptInt(int fd, int level, int option, String name, int value) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            MemorySegment buffer = arena.allocateFrom(ValueLayout.JAVA_INT, value);
            int rc = (int) SETSOCKOPT.invokeExact(capture, fd, level, option, buffer, (int) buffer.byteSize());
            check(rc, capture, () -> "setsockopt(fd " + fd + ", " + name + ", " + value + ")");
        } catch (ErrnoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("downcall setsockopt", e);
        }
    }

    /** The kernel's id of the calling thread (what {@code /proc/self/task/<tid>} is named after). */
    static int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException("downcall gettid", e);
        }
    }

    static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable e) {
            return "errno " + errno;
        }
    }

    @FunctionalInterface
    private interface CallName {
        String describe();
    }

    private static int check(int rc, MemorySegment capture, CallName call) throws ErrnoException {
        if (rc < 0) {
            throw new ErrnoException(call.describe(), (int) ERRNO.get(capture, 0L));
        }
        return rc;
    }

    private static MethodHandle capturing(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(options, 0, all, 1, options.length);
        return LINKER.downcallHandle(symbol(name), descriptor, all);
    }

    private static MethodHandle plain(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor);
    }

    private static MemorySegment symbol(String name) {
        return LINKER.defaultLookup()
                .find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("the C library has no " + name + "()"));
    }
}
