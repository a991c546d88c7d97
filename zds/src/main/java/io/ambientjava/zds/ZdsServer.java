package io.ambientjava.zds;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ambientjava.api.zds.AddWorkload;
import io.ambientjava.api.zds.DelWorkload;
import io.ambientjava.api.zds.KeepWorkload;
import io.ambientjava.api.zds.SnapshotSent;
import io.ambientjava.api.zds.WorkloadInfo;
import io.ambientjava.api.zds.WorkloadRequest;
import io.ambientjava.api.zds.WorkloadResponse;
import io.ambientjava.api.zds.ZdsHello;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's end of ZDS: listens on a {@code SOCK_SEQPACKET} socket for ztunnel, and tells the connected
 * ztunnel about every enrolled pod.
 *
 * <p>Per connection: ztunnel sends {@link ZdsHello} first (anything else, or nothing within the hello timeout,
 * and the connection is dropped with a logged reason); the server then replays every enrolled pod ({@code
 * AddWorkload} with the pod's netns fd, or {@code KeepWorkload} when the netns can no longer be opened), sends
 * {@code SnapshotSent}, and afterwards forwards {@link #addPod} and {@link #removePod} as they happen. Each
 * request waits for its ack before the next is sent: acks are matched to requests by order only. A newer
 * ztunnel connection replaces the older one (an upgrading ztunnel connects beside the old). A missing ack
 * within the ack timeout ends the connection, since a late ack would be taken for the next request's.
 */
public final class ZdsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ZdsServer.class);

    /** Where istio-cni and ztunnel meet by default. */
    public static final Path DEFAULT_PATH = Path.of("/var/run/ztunnel/ztunnel.sock");

    /** Upstream reads every ZDS message into a 1 KiB buffer; so do we. */
    static final int MAX_MESSAGE_BYTES = 1024;

    private static final Duration IDLE_CHECK = Duration.ofMillis(500);
    private static final Duration MIN_ACCEPT_SPACING = Duration.ofMillis(200);

    private final Path path;
    private final Settings settings;
    private final SeqpacketSocket listener;
    private final Thread acceptThread;
    private final AtomicLong connectionIds = new AtomicLong();

    private final Object lock = new Object();
    // Guarded by lock.
    private final Map<String, Enrolled> pods = new LinkedHashMap<>();
    private Connection current;
    private boolean closed;

    /** Timeouts: for ztunnel's hello after it connects, and for each ack. */
    public record Settings(Duration helloTimeout, Duration ackTimeout) {
        public static final Settings DEFAULTS = new Settings(Duration.ofSeconds(5), Duration.ofSeconds(5));

        public Settings {
            requirePositive(helloTimeout, "helloTimeout");
            requirePositive(ackTimeout, "ackTimeout");
        }

        private static void requirePositive(Duration value, String name) {
            if (value == null || value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException(name + " must be positive, was " + value);
            }
        }
    }

    /** A pod's netns: a path opened for each send, or a descriptor the server owns (ownedFd, else -1). */
    private record Enrolled(String uid, WorkloadInfo info, Path netns, int ownedFd) {
        String source() {
            return ownedFd >= 0 ? "fd " + ownedFd : netns.toString();
        }
    }

    private record Outgoing(WorkloadRequest request, Optional<Enrolled> netns, CompletableFuture<Void> result) {}

    private ZdsServer(Path path, Settings settings, SeqpacketSocket listener) {
        this.path = path;
        this.settings = settings;
        this.listener = listener;
        this.acceptThread = Thread.ofPlatform()
                .name("zds-accept " + path.getFileName())
                .daemon()
                .unstarted(this::acceptLoop);
    }

    /**
     * Listens at {@code path}: creates its directory (mode 0750) when missing and removes a socket file left by
     * an earlier agent.
     */
    public static ZdsServer start(Path path, Settings settings) throws IOException {
        Objects.requireNonNull(settings, "settings");
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            Files.createDirectories(
                    parent, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
        }
        Files.deleteIfExists(path);
        SeqpacketSocket listener = SeqpacketSocket.listen(path, 16);
        ZdsServer server = new ZdsServer(path, settings, listener);
        server.acceptThread.start();
        LOG.info("ZDS server listening on {}", path);
        return server;
    }

    public Path path() {
        return path;
    }

    /**
     * Enrolls a pod and, when a ztunnel is connected, sends it {@code AddWorkload} with the pod's netns fd. The
     * result completes when ztunnel acks; it fails with a {@link ZdsException} carrying ztunnel's error text on a
     * nack, or {@link ZdsException.Kind#NOT_CONNECTED} when no ztunnel is connected (the pod is still kept and
     * replayed when one connects).
     */
    public CompletableFuture<Void> addPod(String uid, WorkloadInfo info, Path netns) {
        Objects.requireNonNull(netns, "netns");
        return enroll(uid, info, netns, -1);
    }

    /**
     * Like {@link #addPod(String, WorkloadInfo, Path)} for a netns the caller holds open as {@code netnsFd}: the
     * server takes its own reference right away (the caller may close its descriptor when this returns) and
     * keeps it until the pod is removed or the server closes.
     */
    public CompletableFuture<Void> addPod(String uid, WorkloadInfo info, int netnsFd) {
        int owned;
        try {
            owned = NamespaceFds.open(Path.of("/proc/self/fd/" + netnsFd));
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "netns fd " + netnsFd + " of pod " + uid + " is not usable: " + e.getMessage(), e);
        }
        try {
            return enroll(uid, info, null, owned);
        } catch (RuntimeException e) {
            NamespaceFds.close(owned);
            throw e;
        }
    }

    private CompletableFuture<Void> enroll(String uid, WorkloadInfo info, Path netns, int ownedFd) {
        requireUid(uid);
        Objects.requireNonNull(info, "info");
        WorkloadRequest request = WorkloadRequest.newBuilder()
                .setAdd(AddWorkload.newBuilder().setUid(uid).setWorkloadInfo(info))
                .build();
        synchronized (lock) {
            ensureOpen();
            Enrolled enrolled = new Enrolled(uid, info, netns, ownedFd);
            release(pods.put(uid, enrolled));
            return enqueueLocked(request, Optional.of(enrolled), "add pod " + uid);
        }
    }

    /** Closes the descriptor an entry owns; called under the lock, so no send is opening a copy of it. */
    private static void release(Enrolled enrolled) {
        if (enrolled != null && enrolled.ownedFd() >= 0) {
            NamespaceFds.close(enrolled.ownedFd());
        }
    }

    /**
     * A fresh descriptor for the pod's netns, for one send. Owned descriptors are copied under the lock, and only
     * while the entry is still enrolled, so a concurrent removal can never let a reused descriptor number slip
     * through.
     */
    private int openForSend(Enrolled enrolled) throws IOException {
        if (enrolled.ownedFd() < 0) {
            return NamespaceFds.open(enrolled.netns());
        }
        synchronized (lock) {
            if (pods.get(enrolled.uid()) != enrolled) {
                throw new IOException("pod was removed or re-enrolled meanwhile");
            }
            return NamespaceFds.open(Path.of("/proc/self/fd/" + enrolled.ownedFd()));
        }
    }

    /** Forgets a pod and, when a ztunnel is connected, sends it {@code DelWorkload}; completes on the ack. */
    public CompletableFuture<Void> removePod(String uid) {
        requireUid(uid);
        WorkloadRequest request = WorkloadRequest.newBuilder()
                .setDel(DelWorkload.newBuilder().setUid(uid))
                .build();
        synchronized (lock) {
            ensureOpen();
            Enrolled removed = pods.remove(uid);
            release(removed);
            boolean known = removed != null;
            if (current == null) {
                // Nothing to tell: the next ztunnel gets a snapshot without this pod.
                return CompletableFuture.completedFuture(null);
            }
            if (!known) {
                LOG.debug("removing pod {} the agent did not know; telling ztunnel anyway", uid);
            }
            return enqueueLocked(request, Optional.empty(), "remove pod " + uid);
        }
    }

    /** The uids of the enrolled pods, in enrollment order. */
    public Set<String> pods() {
        synchronized (lock) {
            return Set.copyOf(pods.keySet());
        }
    }

    /** Whether a ztunnel is connected and has been sent its snapshot. */
    public boolean ztunnelConnected() {
        synchronized (lock) {
            return current != null && current.snapshotDone;
        }
    }

    /** How many ztunnel connections completed the hello since start. */
    public long connectionsAccepted() {
        return connectionIds.get();
    }

    @Override
    public void close() {
        Connection last;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            last = current;
            pods.values().forEach(ZdsServer::release);
            pods.clear();
        }
        listener.close();
        acceptThread.interrupt();
        if (last != null) {
            last.socket.close();
        }
        try {
            acceptThread.join(Duration.ofSeconds(2));
            if (last != null) {
                last.thread.join(Duration.ofSeconds(2));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("cannot remove ZDS socket {}: {}", path, e.toString());
        }
    }

    private CompletableFuture<Void> enqueueLocked(WorkloadRequest request, Optional<Enrolled> netns, String what) {
        if (current == null) {
            return CompletableFuture.failedFuture(new ZdsException(
                    ZdsException.Kind.NOT_CONNECTED,
                    "cannot " + what + ": no ztunnel connected to " + path + " (kept for its snapshot)"));
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        current.queue.add(new Outgoing(request, netns, result));
        return result;
    }

    private void acceptLoop() {
        long lastAccept = 0;
        while (true) {
            // At most 5 connections a second, as upstream: a ztunnel stuck reconnecting must not spin us.
            long wait = lastAccept + MIN_ACCEPT_SPACING.toNanos() - System.nanoTime();
            if (lastAccept != 0 && wait > 0) {
                try {
                    Thread.sleep(Duration.ofNanos(wait));
                } catch (InterruptedException e) {
                    return;
                }
            }
            SeqpacketSocket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    LOG.error("ZDS server on {} stopped accepting: {}", path, e.getMessage());
                }
                return;
            }
            lastAccept = System.nanoTime();
            Connection connection = new Connection(socket);
            connection.thread.start();
        }
    }

    private static void requireUid(String uid) {
        if (uid == null || uid.isBlank()) {
            throw new IllegalArgumentException("pod uid must not be blank");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("ZDS server on " + path + " is closed");
        }
    }

    /** One ztunnel connection and the platform thread that talks to it. */
    private final class Connection {
        final SeqpacketSocket socket;
        final Thread thread;
        final LinkedBlockingQueue<Outgoing> queue = new LinkedBlockingQueue<>();
        volatile boolean snapshotDone;
        String name;

        Connection(SeqpacketSocket socket) {
            this.socket = socket;
            this.name = "ztunnel connection (fd " + socket.fd() + ")";
            this.thread = Thread.ofPlatform().name("zds-conn").daemon().unstarted(this::run);
        }

        void run() {
            try {
                if (!readHello()) {
                    return;
                }
                List<Map.Entry<String, Enrolled>> snapshot;
                Connection previous;
                synchronized (lock) {
                    if (closed) {
                        return;
                    }
                    snapshot = new ArrayList<>(pods.entrySet());
                    previous = current;
                    current = this;
                }
                name = "ztunnel connection #" + connectionIds.incrementAndGet();
                if (previous != null) {
                    LOG.info("{} replaces the previous ztunnel connection", name);
                    previous.socket.close();
                }
                sendSnapshot(snapshot);
                snapshotDone = true;
                serveLiveEvents();
            } catch (IOException | RuntimeException e) {
                if (!socket.isClosed()) {
                    LOG.warn("{} dropped: {}", name, e.getMessage());
                }
            } finally {
                finish();
            }
        }

        private boolean readHello() throws IOException {
            socket.setReceiveTimeout(settings.helloTimeout());
            socket.setSendTimeout(settings.ackTimeout());
            Optional<ReceivedMessage> first;
            try {
                first = socket.receive(MAX_MESSAGE_BYTES);
            } catch (IOException e) {
                LOG.warn("{} dropped: no valid ZdsHello ({})", name, e.getMessage());
                return false;
            }
            if (first.isEmpty()) {
                LOG.warn("{} closed before sending ZdsHello", name);
                return false;
            }
            ReceivedMessage message = first.get();
            if (!message.fds().isEmpty()) {
                message.closeFds();
                LOG.warn("{} dropped: its ZdsHello carried file descriptors", name);
                return false;
            }
            try {
                ZdsHello hello = ZdsHello.parseFrom(message.data());
                if (hello.getVersionValue() < 1
                        || !hello.getUnknownFields().asMap().isEmpty()) {
                    LOG.warn(
                            "{} dropped: first message is not a ZdsHello ({} bytes, version {})",
                            name,
                            message.data().length,
                            hello.getVersionValue());
                    return false;
                }
                LOG.info("{}: hello from ztunnel, version {}", name, hello.getVersion());
                socket.setReceiveTimeout(settings.ackTimeout());
                return true;
            } catch (InvalidProtocolBufferException e) {
                LOG.warn("{} dropped: first message is not a ZdsHello: {}", name, e.getMessage());
                return false;
            }
        }

        private void sendSnapshot(List<Map.Entry<String, Enrolled>> snapshot) throws IOException {
            for (Map.Entry<String, Enrolled> pod : snapshot) {
                String uid = pod.getKey();
                Enrolled enrolled = pod.getValue();
                String error;
                try {
                    error = exchange(
                            WorkloadRequest.newBuilder()
                                    .setAdd(AddWorkload.newBuilder().setUid(uid).setWorkloadInfo(enrolled.info()))
                                    .build(),
                            Optional.of(enrolled));
                } catch (NetnsUnavailableException e) {
                    LOG.warn("{}: {}; sending KeepWorkload for pod {}", name, e.getMessage(), uid);
                    error = exchange(
                            WorkloadRequest.newBuilder()
                                    .setKeep(KeepWorkload.newBuilder().setUid(uid))
                                    .build(),
                            Optional.empty());
                }
                if (!error.isEmpty()) {
                    LOG.error("{}: ztunnel refused pod {} from the snapshot: {}", name, uid, error);
                }
            }
            String error = exchange(
                    WorkloadRequest.newBuilder()
                            .setSnapshotSent(SnapshotSent.getDefaultInstance())
                            .build(),
                    Optional.empty());
            if (!error.isEmpty()) {
                LOG.error("{}: ztunnel refused SnapshotSent: {}", name, error);
            }
            LOG.info("{}: snapshot of {} pods sent", name, snapshot.size());
        }

        private void serveLiveEvents() throws IOException {
            while (!socket.isClosed()) {
                Outgoing next;
                try {
                    next = queue.poll(IDLE_CHECK.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (next == null) {
                    checkAlive();
                    continue;
                }
                try {
                    String error = exchange(next.request(), next.netns());
                    if (error.isEmpty()) {
                        next.result().complete(null);
                    } else {
                        next.result()
                                .completeExceptionally(new ZdsException(
                                        ZdsException.Kind.NACK,
                                        "ztunnel refused " + describe(next.request()) + ": " + error));
                    }
                } catch (NetnsUnavailableException e) {
                    next.result().completeExceptionally(new ZdsException(ZdsException.Kind.NACK, e.getMessage(), e));
                } catch (IOException | RuntimeException e) {
                    next.result()
                            .completeExceptionally(new ZdsException(
                                    ZdsException.Kind.CONNECTION_LOST,
                                    describe(next.request()) + " not acked: " + e.getMessage(),
                                    e));
                    throw e;
                }
            }
        }

        /** ztunnel only speaks when spoken to: anything unprompted is a protocol error, zero bytes a close. */
        private void checkAlive() throws IOException {
            switch (socket.poll(MAX_MESSAGE_BYTES)) {
                case SeqpacketSocket.PollResult.Nothing nothing -> {}
                case SeqpacketSocket.PollResult.PeerClosed closed ->
                    throw new IOException("ztunnel closed the connection");
                case SeqpacketSocket.PollResult.Message message -> {
                    message.message().closeFds();
                    throw new IOException("ztunnel sent an unprompted message");
                }
            }
        }

        /** Sends one request (with the netns fd when given) and returns the ack's error text ("" = success). */
        private String exchange(WorkloadRequest request, Optional<Enrolled> netns) throws IOException {
            OptionalInt fd = OptionalInt.empty();
            if (netns.isPresent()) {
                try {
                    fd = OptionalInt.of(openForSend(netns.get()));
                } catch (IOException e) {
                    throw new NetnsUnavailableException(
                            "cannot open netns of " + describe(request) + ": " + e.getMessage());
                }
            }
            try {
                socket.send(request.toByteArray(), fd);
            } finally {
                fd.ifPresent(NamespaceFds::close);
            }
            Optional<ReceivedMessage> reply = socket.receive(MAX_MESSAGE_BYTES);
            if (reply.isEmpty()) {
                throw new IOException("ztunnel closed the connection instead of acking " + describe(request));
            }
            reply.get().closeFds();
            WorkloadResponse response;
            try {
                response = WorkloadResponse.parseFrom(reply.get().data());
            } catch (InvalidProtocolBufferException e) {
                throw new IOException("unreadable answer to " + describe(request) + ": " + e.getMessage(), e);
            }
            if (!response.hasAck()) {
                throw new IOException("answer to " + describe(request) + " has no ack");
            }
            return response.getAck().getError();
        }

        private void finish() {
            List<Outgoing> abandoned = new ArrayList<>();
            synchronized (lock) {
                if (current == this) {
                    current = null;
                }
                queue.drainTo(abandoned);
            }
            socket.close();
            for (Outgoing outgoing : abandoned) {
                outgoing.result()
                        .completeExceptionally(new ZdsException(
                                ZdsException.Kind.CONNECTION_LOST,
                                describe(outgoing.request()) + " not sent: the ztunnel connection ended"));
            }
            LOG.info("{} ended", name);
        }
    }

    private static String describe(WorkloadRequest request) {
        return switch (request.getPayloadCase()) {
            case ADD -> "AddWorkload " + request.getAdd().getUid();
            case DEL -> "DelWorkload " + request.getDel().getUid();
            case KEEP -> "KeepWorkload " + request.getKeep().getUid();
            case SNAPSHOT_SENT -> "SnapshotSent";
            case PAYLOAD_NOT_SET -> "empty request";
        };
    }

    /** The pod's netns file could not be opened (the pod is gone, or the path is wrong). */
    private static final class NetnsUnavailableException extends IOException {
        NetnsUnavailableException(String message) {
            super(message);
        }
    }
}
