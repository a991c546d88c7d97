package io.ambientjava.bpf;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/** The system calls around BPF the loader needs: file descriptors, setns, socket options, mount, statfs. */
@SuppressWarnings("restricted") // Native access is the point of this class.
final class Libc {
    static final int O_RDONLY = 0;
    static final int O_DIRECTORY = 0x10000;
    static final int O_CLOEXEC = 0x80000;
    static final int CLONE_NEWNET = 0x40000000;
    static final int AF_INET = 2;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_NETNS_COOKIE = 71;
    static final long BPF_FS_MAGIC = 0xcafe4a11L;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout PTR = ValueLayout.ADDRESS;

    private static final MethodHandle OPEN =
            downcall("open", FunctionDescriptor.of(INT, PTR, INT, INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle SETNS = downcall("setns", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle SOCKET = downcall("socket", FunctionDescriptor.of(INT, INT, INT, INT));
    private static final MethodHandle GETSOCKOPT =
            downcall("getsockopt", FunctionDescriptor.of(INT, INT, INT, INT, PTR, PTR));
    private static final MethodHandle MOUNT =
            downcall("mount", FunctionDescriptor.of(INT, PTR, PTR, PTR, ValueLayout.JAVA_LONG, PTR));
    private static final MethodHandle STATFS = downcall("statfs", FunctionDescriptor.of(INT, PTR, PTR));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(), FunctionDescriptor.of(PTR, INT));

    private Libc() {}

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(options, 0, all, 1, options.length);
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, all);
    }

    static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0) + " (errno " + errno + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    /** Runs a call whose failure is -1 with errno set; throws naming {@code what}. */
    private static int call(String what, MethodHandle handle, Object... arguments) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            Object[] all = new Object[arguments.length + 1];
            all[0] = capture;
            System.arraycopy(arguments, 0, all, 1, arguments.length);
            int result = (int) handle.invokeWithArguments(all);
            if (result < 0) {
                throw new BpfException(what + " failed: " + strerror((int) ERRNO.get(capture, 0L)));
            }
            return result;
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw new BpfException(what + " failed", t);
        }
    }

    static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            return call("open " + path, OPEN, arena.allocateFrom(path), flags | O_CLOEXEC, 0);
        }
    }

    static void close(int fd) {
        if (fd >= 0) {
            try {
                call("close fd " + fd, CLOSE, fd);
            } catch (BpfException ignored) {
                // Closing is best effort; the fd is gone either way.
            }
        }
    }

    static void setns(int fd, String what) {
        call("setns into " + what, SETNS, fd, CLONE_NEWNET);
    }

    /** The cookie of the calling thread's network namespace (what {@code bpf_get_netns_cookie} returns). */
    static long currentNetnsCookie() {
        int socket = call("socket", SOCKET, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment length = arena.allocateFrom(INT, (int) value.byteSize());
            call("getsockopt SO_NETNS_COOKIE", GETSOCKOPT, socket, SOL_SOCKET, SO_NETNS_COOKIE, value, length);
            return value.get(ValueLayout.JAVA_LONG, 0);
        } finally {
            close(socket);
        }
    }

    static void mountBpfFs(String target) {
        try (Arena arena = Arena.ofConfined()) {
            call(
                    "mount -t bpf bpf " + target,
                    MOUNT,
                    arena.allocateFrom("bpf"),
                    arena.allocateFrom(target),
                    arena.allocateFrom("bpf"),
                    0L,
                    MemorySegment.NULL);
        }
    }

    /** The file system type ({@code f_type}) of the file system holding {@code path}. */
    static long fileSystemType(String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(256, 8); // struct statfs is 120 bytes; f_type comes first
            call("statfs " + path, STATFS, arena.allocateFrom(path), buffer);
            return buffer.get(ValueLayout.JAVA_LONG, 0);
        }
    }
}
