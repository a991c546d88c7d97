package io.ambientjava.zds;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A Unix-domain {@code SOCK_SEQPACKET} socket through FFM: message boundaries kept, file descriptors passed
 * with SCM_RIGHTS. All calls block the calling thread (use platform threads: a native call pins a virtual
 * thread's carrier); {@link #close} from another thread wakes a blocked {@link #accept} or {@link #receive}.
 */
public final class SeqpacketSocket implements AutoCloseable {
    /** How many descriptors one message may carry before the control data is truncated. */
    private static final int MAX_FDS = 8;

    private static final int CONTROL_SPACE = Libc.CMSG_HEADER + align8(MAX_FDS * Integer.BYTES);

    private final int fd;
    private final String description;
    private volatile boolean closed;

    private SeqpacketSocket(int fd, String description) {
        this.fd = fd;
        this.description = description;
    }

    /** Binds a listening socket at {@code path} (which must not exist). */
    public static SeqpacketSocket listen(Path path, int backlog) throws IOException {
        int fd = newSocket(path);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Libc.errnoBuffer(arena);
            MemorySegment address = Libc.sockaddrUn(arena, path.toString());
            if (Libc.bind(capture, fd, address, Libc.SOCKADDR_UN_SIZE) < 0) {
                throw closeAfter(fd, Libc.failure("bind", path.toString(), capture));
            }
            if (Libc.listen(capture, fd, backlog) < 0) {
                throw closeAfter(fd, Libc.failure("listen", path.toString(), capture));
            }
        } catch (IllegalArgumentException e) {
            Libc.closeQuietly(fd);
            throw e;
        }
        return new SeqpacketSocket(fd, "listener " + path);
    }

    /** Connects to the listener at {@code path}. */
    public static SeqpacketSocket connect(Path path) throws IOException {
        int fd = newSocket(path);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Libc.errnoBuffer(arena);
            MemorySegment address = Libc.sockaddrUn(arena, path.toString());
            if (Libc.connect(capture, fd, address, Libc.SOCKADDR_UN_SIZE) < 0) {
                throw closeAfter(fd, Libc.failure("connect", path.toString(), capture));
            }
        } catch (IllegalArgumentException e) {
            Libc.closeQuietly(fd);
            throw e;
        }
        return new SeqpacketSocket(fd, "connection to " + path);
    }

    /** Waits for the next connection; fails with an exception once the listener is closed. */
    public SeqpacketSocket accept() throws IOException {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Libc.errnoBuffer(arena);
            while (true) {
                int accepted = Libc.accept4(capture, fd, Libc.SOCK_CLOEXEC);
                if (accepted >= 0) {
                    return new SeqpacketSocket(accepted, "connection accepted by " + description);
                }
                if (closed) {
                    throw new IOException(description + " is closed");
                }
                if (Libc.errno(capture) != Libc.EINTR) {
                    throw Libc.failure("accept", description, capture);
                }
            }
        }
    }

    /** Sends one message, with {@code passedFd} as SCM_RIGHTS when present (the caller keeps its copy). */
    public void send(byte[] data, OptionalInt passedFd) throws IOException {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Libc.errnoBuffer(arena);
            MemorySegment msghdr = arena.allocate(Libc.MSGHDR);
            MemorySegment payload = arena.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, payload, ValueLayout.JAVA_BYTE, 0, data.length);
            MemorySegment iov = arena.allocate(Libc.IOVEC_SIZE, 8);
            iov.set(ValueLayout.ADDRESS, 0, payload);
            iov.set(ValueLayout.JAVA_LONG, 8, data.length);
            msghdr.set(ValueLayout.ADDRESS, Libc.MSG_IOV, iov);
            msghdr.set(ValueLayout.JAVA_LONG, Libc.MSG_IOVLEN, 1);
            if (passedFd.isPresent()) {
                int length = Libc.CMSG_HEADER + Integer.BYTES;
                MemorySegment control = arena.allocate(align8(length), 8);
                control.set(ValueLayout.JAVA_LONG, 0, length);
                control.set(ValueLayout.JAVA_INT, 8, Libc.SOL_SOCKET);
                control.set(ValueLayout.JAVA_INT, 12, Libc.SCM_RIGHTS);
                control.set(ValueLayout.JAVA_INT, Libc.CMSG_HEADER, passedFd.getAsInt());
                msghdr.set(ValueLayout.ADDRESS, Libc.MSG_CONTROL, control);
                msghdr.set(ValueLayout.JAVA_LONG, Libc.MSG_CONTROLLEN, control.byteSize());
            }
            while (true) {
                long sent = Libc.sendmsg(capture, fd, msghdr, Libc.MSG_NOSIGNAL);
                if (sent >= 0) {
                    return;
                }
                int errno = Libc.errno(capture);
                if (errno == Libc.EAGAIN) {
                    throw new SocketTimeoutException("sendmsg on " + description + " timed out");
                }
                if (errno != Libc.EINTR) {
                    throw Libc.failure("sendmsg", description, capture);
                }
            }
        }
    }

    /**
     * Receives one message of at most {@code maxBytes}; empty when the peer closed the connection. A message
     * longer than {@code maxBytes} or carrying more than 8 descriptors fails (its descriptors are closed),
     * as does a read timeout ({@link SocketTimeoutException}).
     */
    public Optional<ReceivedMessage> receive(int maxBytes) throws IOException {
        return receive(maxBytes, 0);
    }

    /**
     * Like {@link #receive(int)} but never waits: empty when nothing is queued is told apart from a closed
     * peer by {@link PollResult}.
     */
    public PollResult poll(int maxBytes) throws IOException {
        try {
            return receive(maxBytes, Libc.MSG_DONTWAIT)
                    .<PollResult>map(PollResult.Message::new)
                    .orElseGet(PollResult.PeerClosed::new);
        } catch (SocketTimeoutException e) {
            return new PollResult.Nothing();
        }
    }

    /** What a non-blocking {@link #poll} found. */
    public sealed interface PollResult {
        record Message(ReceivedMessage message) implements PollResult {}

        record Nothing() implements PollResult {}

        record PeerClosed() implements PollResult {}
    }

    private Optional<ReceivedMessage> receive(int maxBytes, int extraFlags) throws IOException {
        ensureOpen();
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be positive, was " + maxBytes);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Libc.errnoBuffer(arena);
            MemorySegment msghdr = arena.allocate(Libc.MSGHDR);
            MemorySegment payload = arena.allocate(maxBytes);
            MemorySegment iov = arena.allocate(Libc.IOVEC_SIZE, 8);
            iov.set(ValueLayout.ADDRESS, 0, payload);
            iov.set(ValueLayout.JAVA_LONG, 8, maxBytes);
            MemorySegment control = arena.allocate(CONTROL_SPACE, 8);
            msghdr.set(ValueLayout.ADDRESS, Libc.MSG_IOV, iov);
            msghdr.set(ValueLayout.JAVA_LONG, Libc.MSG_IOVLEN, 1);
            msghdr.set(ValueLayout.ADDRESS, Libc.MSG_CONTROL, control);
            msghdr.set(ValueLayout.JAVA_LONG, Libc.MSG_CONTROLLEN, CONTROL_SPACE);
            long received;
            while (true) {
                received = Libc.recvmsg(capture, fd, msghdr, Libc.MSG_CMSG_CLOEXEC | extraFlags);
                if (received >= 0) {
                    break;
                }
                int errno = Libc.errno(capture);
                if (closed) {
                    throw new IOException(description + " is closed");
                }
                if (errno == Libc.EAGAIN) {
                    throw new SocketTimeoutException("recvmsg on " + description + " timed out");
                }
                if (errno != Libc.EINTR) {
                    throw Libc.failure("recvmsg", description, capture);
                }
            }
            List<Integer> fds = receivedFds(control, msghdr.get(ValueLayout.JAVA_LONG, Libc.MSG_CONTROLLEN));
            int flags = msghdr.get(ValueLayout.JAVA_INT, Libc.MSG_FLAGS);
            if ((flags & Libc.MSG_TRUNC) != 0) {
                fds.forEach(Libc::closeQuietly);
                throw new TruncatedMessageException(
                        "message on " + description + " truncated: longer than " + maxBytes + " bytes");
            }
            if ((flags & Libc.MSG_CTRUNC) != 0) {
                fds.forEach(Libc::closeQuietly);
                throw new TruncatedMessageException("control data on " + description + " truncated: more than "
                        + MAX_FDS + " file descriptors or unexpected ancillary data");
            }
            if (received == 0 && fds.isEmpty()) {
                // SEQPACKET has no empty datagrams from a live peer in our protocol: zero bytes is end of stream.
                return Optional.empty();
            }
            return Optional.of(new ReceivedMessage(payload.asSlice(0, received).toArray(ValueLayout.JAVA_BYTE), fds));
        }
    }

    /** Makes blocking receives give up after {@code timeout} ({@code Duration.ZERO}: wait forever). */
    public void setReceiveTimeout(Duration timeout) throws IOException {
        setTimeout(Libc.SO_RCVTIMEO, "SO_RCVTIMEO", timeout);
    }

    /** Makes blocking sends give up after {@code timeout} ({@code Duration.ZERO}: wait forever). */
    public void setSendTimeout(Duration timeout) throws IOException {
        setTimeout(Libc.SO_SNDTIMEO, "SO_SNDTIMEO", timeout);
    }

    private void setTimeout(int option, String optionName, Duration timeout) throws IOException {
        ensureOpen();
        if (timeout.isNegative()) {
            throw new IllegalArgumentException(optionName + " must not be negative, was " + timeout);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Libc.errnoBuffer(arena);
            MemorySegment timeval = arena.allocate(16, 8);
            timeval.set(ValueLayout.JAVA_LONG, 0, timeout.toSeconds());
            timeval.set(ValueLayout.JAVA_LONG, 8, timeout.toNanosPart() / 1000);
            if (Libc.setsockopt(capture, fd, Libc.SOL_SOCKET, option, timeval, 16) < 0) {
                throw Libc.failure("setsockopt " + optionName, description, capture);
            }
        }
    }

    /** The raw descriptor, for diagnostics. */
    public int fd() {
        return fd;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Shuts the socket down (waking blocked calls) and closes it. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Libc.errnoBuffer(arena);
            Libc.shutdown(capture, fd, Libc.SHUT_RDWR);
            Libc.close(capture, fd);
        }
    }

    @Override
    public String toString() {
        return "SeqpacketSocket[" + description + ", fd " + fd + (closed ? ", closed" : "") + "]";
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException(description + " is closed");
        }
    }

    private static List<Integer> receivedFds(MemorySegment control, long controlLength) {
        List<Integer> fds = new ArrayList<>();
        long offset = 0;
        while (offset + Libc.CMSG_HEADER <= controlLength) {
            long length = control.get(ValueLayout.JAVA_LONG, offset);
            int level = control.get(ValueLayout.JAVA_INT, offset + 8);
            int type = control.get(ValueLayout.JAVA_INT, offset + 12);
            if (length < Libc.CMSG_HEADER || offset + length > controlLength) {
                break;
            }
            if (level == Libc.SOL_SOCKET && type == Libc.SCM_RIGHTS) {
                long count = (length - Libc.CMSG_HEADER) / Integer.BYTES;
                for (int i = 0; i < count; i++) {
                    fds.add(control.get(ValueLayout.JAVA_INT, offset + Libc.CMSG_HEADER + (long) i * Integer.BYTES));
                }
            }
            offset += align8(length);
        }
        return fds;
    }

    private static int newSocket(Path path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Libc.errnoBuffer(arena);
            int fd = Libc.socket(capture, Libc.AF_UNIX, Libc.SOCK_SEQPACKET | Libc.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw Libc.failure("socket", "AF_UNIX SOCK_SEQPACKET for " + path, capture);
            }
            return fd;
        }
    }

    private static IOException closeAfter(int fd, IOException failure) {
        Libc.closeQuietly(fd);
        return failure;
    }

    private static int align8(long length) {
        return (int) ((length + 7) & ~7L);
    }
}
