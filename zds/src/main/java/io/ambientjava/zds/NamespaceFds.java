package io.ambientjava.zds;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/** Opening, checking and closing network namespace file descriptors. */
public final class NamespaceFds {
    private NamespaceFds() {}

    /** Opens {@code netns} (e.g. {@code /var/run/netns/NAME} or {@code /proc/PID/ns/net}) read-only, close-on-exec. */
    public static int open(Path netns) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Libc.errnoBuffer(arena);
            int fd = Libc.open(capture, arena.allocateFrom(netns.toString()), Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (fd < 0) {
                throw Libc.failure("open", netns.toString(), capture);
            }
            return fd;
        }
    }

    /**
     * Whether {@code fd} refers to a network namespace: asks the kernel with {@code ioctl(NS_GET_NSTYPE)}, which
     * fails with ENOTTY for anything that is not a namespace file.
     */
    public static boolean isNetworkNamespace(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Libc.errnoBuffer(arena);
            int type = Libc.ioctl(capture, fd, Libc.NS_GET_NSTYPE);
            if (type >= 0) {
                return type == Libc.CLONE_NEWNET;
            }
            int errno = Libc.errno(capture);
            if (errno == Libc.ENOTTY || errno == 22 /* EINVAL */) {
                return false;
            }
            throw Libc.failure("ioctl NS_GET_NSTYPE", "fd " + fd, capture);
        }
    }

    /** Closes {@code fd}, ignoring errors. */
    public static void close(int fd) {
        Libc.closeQuietly(fd);
    }
}
