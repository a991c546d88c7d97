package io.ambientjava.zds;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ambientjava.api.zds.Ack;
import io.ambientjava.api.zds.Version;
import io.ambientjava.api.zds.WorkloadRequest;
import io.ambientjava.api.zds.WorkloadResponse;
import io.ambientjava.api.zds.ZdsHello;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ztunnel's end of ZDS: connects to the node agent (retrying with exponential backoff), says {@link ZdsHello}
 * V1, and hands each request to a {@link WorkloadHandler}, answering every one with an ack or a nack.
 *
 * <p>Checks before the handler sees a request: an {@code AddWorkload} must carry exactly one descriptor and it
 * must be a network namespace; other requests must carry none (stray descriptors are closed, and the request
 * is nacked). Unreadable or truncated messages are nacked too; the connection stays up.
 *
 * <p>Reconciliation is done here, not by the handler: the client remembers the pods the handler accepted, and
 * when a replay after a (re)connect ends with {@code SnapshotSent}, it deletes through the handler every pod
 * the replay did not mention ({@code AddWorkload} or {@code KeepWorkload}): those it added, or all the handler
 * serves when it says ({@link WorkloadHandler#enrolled()}).
 */
public final class ZdsClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ZdsClient.class);

    private final Path path;
    private final WorkloadHandler handler;
    private final Backoff backoff;
    private final Thread thread;
    private final AtomicLong sessions = new AtomicLong();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile SeqpacketSocket socket;
    private volatile boolean closed;

    // Touched by the client thread only.
    private final Set<String> active = new LinkedHashSet<>();
    private Set<String> replayed;

    /** Reconnect delays: doubling from {@code initial} up to {@code max}. */
    public record Backoff(Duration initial, Duration max) {
        public static final Backoff DEFAULTS = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));

        public Backoff {
            if (initial == null || initial.isNegative() || initial.isZero()) {
                throw new IllegalArgumentException("initial backoff must be positive, was " + initial);
            }
            if (max == null || max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("max backoff must be at least " + initial + ", was " + max);
            }
        }
    }

    private ZdsClient(Path path, WorkloadHandler handler, Backoff backoff) {
        this.path = path;
        this.handler = handler;
        this.backoff = backoff;
        this.thread = Thread.ofPlatform().name("zds-client").daemon().unstarted(this::run);
    }

    /** Starts connecting to the agent at {@code path} in the background. */
    public static ZdsClient start(Path path, WorkloadHandler handler, Backoff backoff) {
        ZdsClient client = new ZdsClient(
                Objects.requireNonNull(path, "path"),
                Objects.requireNonNull(handler, "handler"),
                Objects.requireNonNull(backoff, "backoff"));
        client.thread.start();
        return client;
    }

    /** How many connections got as far as sending the hello. */
    public long sessions() {
        return sessions.get();
    }

    @Override
    public void close() {
        closed = true;
        SeqpacketSocket open = socket;
        if (open != null) {
            open.close();
        }
        thread.interrupt();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            Duration delay = backoff.initial();
            while (!closed) {
                try (SeqpacketSocket connected = SeqpacketSocket.connect(path)) {
                    socket = connected;
                    if (closed) {
                        return;
                    }
                    delay = backoff.initial();
                    session(connected);
                    LOG.info("node agent at {} closed the ZDS connection", path);
                } catch (IOException e) {
                    if (!closed) {
                        LOG.info(
                                "ZDS connection to {} failed: {}; retrying in {} ms",
                                path,
                                e.getMessage(),
                                delay.toMillis());
                    }
                }
                if (closed) {
                    return;
                }
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    return;
                }
                delay = delay.multipliedBy(2).compareTo(backoff.max()) > 0 ? backoff.max() : delay.multipliedBy(2);
            }
        } finally {
            stopped.countDown();
        }
    }

    private void session(SeqpacketSocket connection) throws IOException {
        connection.send(ZdsHello.newBuilder().setVersion(Version.V1).build().toByteArray(), OptionalInt.empty());
        sessions.incrementAndGet();
        replayed = new HashSet<>();
        try {
            handler.connected();
        } catch (RuntimeException e) {
            LOG.error("workload handler failed on a new ZDS connection", e);
        }
        while (!closed) {
            String error;
            try {
                Optional<ReceivedMessage> next = connection.receive(ZdsServer.MAX_MESSAGE_BYTES);
                if (next.isEmpty()) {
                    return;
                }
                error = handle(next.get());
            } catch (TruncatedMessageException e) {
                error = e.getMessage();
            }
            if (!error.isEmpty()) {
                LOG.warn("nack to the node agent: {}", error);
            }
            connection.send(
                    WorkloadResponse.newBuilder()
                            .setAck(Ack.newBuilder().setError(error))
                            .build()
                            .toByteArray(),
                    OptionalInt.empty());
        }
    }

    /** Handles one request; returns the nack text, or "" to ack. */
    private String handle(ReceivedMessage message) {
        WorkloadRequest request;
        try {
            request = WorkloadRequest.parseFrom(message.data());
        } catch (InvalidProtocolBufferException e) {
            message.closeFds();
            return "cannot parse WorkloadRequest: " + e.getMessage();
        }
        List<Integer> fds = message.fds();
        if (request.getPayloadCase() != WorkloadRequest.PayloadCase.ADD && !fds.isEmpty()) {
            message.closeFds();
            return "unexpected file descriptors with " + request.getPayloadCase();
        }
        try {
            return switch (request.getPayloadCase()) {
                case ADD -> add(request, fds);
                case KEEP -> keep(request.getKeep().getUid());
                case DEL -> delete(request.getDel().getUid());
                case SNAPSHOT_SENT -> snapshotSent();
                case PAYLOAD_NOT_SET -> "WorkloadRequest has no payload";
            };
        } catch (RuntimeException e) {
            LOG.error("workload handler failed on {}", request.getPayloadCase(), e);
            return "ztunnel failed on " + request.getPayloadCase() + ": " + e;
        }
    }

    private String add(WorkloadRequest request, List<Integer> fds) {
        String uid = request.getAdd().getUid();
        if (fds.size() != 1) {
            fds.forEach(NamespaceFds::close);
            return fds.isEmpty()
                    ? "AddWorkload " + uid + " carries no network namespace fd"
                    : "AddWorkload " + uid + ": expected 1 fd, got " + fds.size();
        }
        int fd = fds.getFirst();
        boolean handedOver = false;
        try {
            if (!isNetworkNamespace(fd)) {
                return "AddWorkload " + uid + ": fd is not a network namespace";
            }
            WorkloadHandler.Outcome outcome = handler.add(uid, request.getAdd().getWorkloadInfo(), fd);
            if (!outcome.isOk()) {
                return outcome.error();
            }
            handedOver = true;
            active.add(uid);
            if (replayed != null) {
                replayed.add(uid);
            }
            return "";
        } finally {
            if (!handedOver) {
                NamespaceFds.close(fd);
            }
        }
    }

    private static boolean isNetworkNamespace(int fd) {
        try {
            return NamespaceFds.isNetworkNamespace(fd);
        } catch (IOException e) {
            LOG.warn("cannot tell the type of fd {}: {}", fd, e.getMessage());
            return false;
        }
    }

    private String keep(String uid) {
        if (replayed == null) {
            return "KeepWorkload " + uid + " outside a snapshot replay";
        }
        WorkloadHandler.Outcome outcome = handler.keep(uid);
        if (outcome.isOk()) {
            replayed.add(uid);
            active.add(uid);
        }
        return outcome.error();
    }

    private String delete(String uid) {
        active.remove(uid);
        if (replayed != null) {
            replayed.remove(uid);
        }
        return handler.delete(uid).error();
    }

    private String snapshotSent() {
        if (replayed != null) {
            for (String stale : handler.enrolled().map(Set::copyOf).orElseGet(() -> Set.copyOf(active))) {
                if (!replayed.contains(stale)) {
                    LOG.info("pod {} was not in the node agent's snapshot; removing it", stale);
                    WorkloadHandler.Outcome outcome = handler.delete(stale);
                    if (!outcome.isOk()) {
                        LOG.warn("removing pod {} after the snapshot failed: {}", stale, outcome.error());
                    }
                    active.remove(stale);
                }
            }
            replayed = null;
        }
        return handler.snapshotSent().error();
    }
}
