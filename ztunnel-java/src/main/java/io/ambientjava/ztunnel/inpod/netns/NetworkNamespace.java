package io.ambientjava.ztunnel.inpod.netns;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open handle to a network namespace: a file descriptor of its nsfs file, checked to really be a
 * network namespace when opened, with the namespace's {@link NetnsId}. Holding it keeps the namespace
 * alive even after its pod is gone, so close it when the pod leaves.
 *
 * <p>Close it only when no {@link NetnsExecutor} task for it is pending: a task racing with close fails
 * (the executor verifies which namespace it actually entered), it never runs elsewhere.
 */
public final class NetworkNamespace implements AutoCloseable {
    /** Where {@code ip netns add} bind-mounts named namespaces. */
    public static final Path NAMED_NETNS_DIR = Path.of("/var/run/netns");

    private static final Map<Integer, String> NAMESPACE_KINDS = Map.of(
            0x00020000, "mount",
            0x04000000, "UTS",
            0x08000000, "IPC",
            0x10000000, "user",
            0x20000000, "PID",
            0x02000000, "cgroup",
            0x00000080, "time");

    private final AtomicInteger fd;
    private final NetnsId id;
    private final String description;

    private NetworkNamespace(int fd, NetnsId id, String description) {
        this.fd = new AtomicInteger(fd);
        this.id = id;
        this.description = description;
    }

    /** Opens a namespace file such as {@code /var/run/netns/NAME} or {@code /proc/<pid>/ns/net}. */
    public static NetworkNamespace open(Path path) throws IOException {
        int fd;
        try {
            fd = Libc.open(path.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
        } catch (ErrnoException e) {
            throw new IOException("cannot open network namespace " + path + ": " + e.getMessage(), e);
        }
        return adopt(fd, path.toString());
    }

    /** Opens the namespace {@code ip netns} knows as {@code name}. */
    public static NetworkNamespace named(String name) throws IOException {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("'" + name + "' is not a network namespace name");
        }
        return open(NAMED_NETNS_DIR.resolve(name));
    }

    /** Opens the namespace the calling thread is in (threads can differ, so not {@code /proc/self}). */
    public static NetworkNamespace ofCurrentThread() throws IOException {
        return open(Path.of("/proc/thread-self/ns/net"));
    }

    /** The namespace the calling thread is in, without opening a handle. */
    public static NetnsId currentThreadId() throws ErrnoException {
        return Libc.fileId("/proc/thread-self/ns/net");
    }

    /**
     * Takes ownership of {@code fd} (received with SCM_RIGHTS, say) after checking it is a network
     * namespace. The fd is closed when the check fails, too.
     *
     * @param description what the fd is, for messages (e.g. the pod's uid)
     */
    public static NetworkNamespace adopt(int fd, String description) throws IOException {
        try {
            int kind = namespaceKind(fd, description);
            if (kind != Libc.CLONE_NEWNET) {
                throw new IOException(
                        description + " is a " + NAMESPACE_KINDS.getOrDefault(kind, "0x" + Integer.toHexString(kind))
                                + " namespace, not a network namespace");
            }
            return new NetworkNamespace(fd, Libc.fileId(fd), description);
        } catch (IOException | RuntimeException e) {
            closeQuietly(fd);
            throw e;
        }
    }

    /**
     * A handle of its own to the namespace behind {@code fd}, which stays the caller's (to close or keep): for a
     * descriptor received over ZDS that the receiver closes on any failure. Reopens it through {@code /proc}, so
     * the new handle is close-on-exec and independent of {@code fd}; checked like {@link #adopt}.
     *
     * @param description what the fd is, for messages (e.g. the pod's uid)
     */
    public static NetworkNamespace duplicate(int fd, String description) throws IOException {
        if (fd < 0) {
            throw new IllegalArgumentException(description + ": " + fd + " is not a file descriptor");
        }
        int copy;
        try {
            copy = Libc.open("/proc/thread-self/fd/" + fd, Libc.O_RDONLY | Libc.O_CLOEXEC);
        } catch (ErrnoException e) {
            throw new IOException(
                    description + " is not a network namespace: cannot reopen fd " + fd + " (" + e.getMessage() + ")",
                    e);
        }
        return adopt(copy, description);
    }

    private static int namespaceKind(int fd, String description) throws IOException {
        try {
            return Libc.ioctl(fd, Libc.NS_GET_NSTYPE, "NS_GET_NSTYPE");
        } catch (ErrnoException e) {
            throw new IOException(
                    description + " is not a network namespace: not a namespace file (" + e.getMessage() + ")", e);
        }
    }

    public NetnsId id() {
        return id;
    }

    public String description() {
        return description;
    }

    /** The open file descriptor. */
    public int fd() {
        int value = fd.get();
        if (value < 0) {
            throw new IllegalStateException("network namespace " + this + " is closed");
        }
        return value;
    }

    public boolean isOpen() {
        return fd.get() >= 0;
    }

    /** Whether both handles refer to the same namespace. */
    public boolean sameNamespaceAs(NetworkNamespace other) {
        return id.equals(other.id);
    }

    @Override
    public void close() throws ErrnoException {
        int value = fd.getAndSet(-1);
        if (value >= 0) {
            Libc.close(value);
        }
    }

    private static void closeQuietly(int fd) {
        try {
            Libc.close(fd);
        } catch (ErrnoException ignored) {
            // Already failing for a better reason.
        }
    }

    @Override
    public String toString() {
        return description + " " + id;
    }
}
