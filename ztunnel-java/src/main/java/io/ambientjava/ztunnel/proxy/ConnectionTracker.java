package io.ambientjava.ztunnel.proxy;

import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import io.ambientjava.ztunnel.telemetry.ConnectionObserver;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open proxied connections of one ztunnel, and the one place that reports their life to the
 * {@link ConnectionObserver}: {@link #refused} for connections that never opened, {@link #opened} and then
 * {@link Tracked#closed} for the others, each exactly once.
 */
public final class ConnectionTracker {

    private static final Logger log = LoggerFactory.getLogger(ConnectionTracker.class);
    /** Process-wide, so ids stay unique when one JVM runs several ztunnels (tests). */
    private static final AtomicLong IDS = new AtomicLong();

    private final ConnectionObserver observer;
    private final ConcurrentHashMap<Long, Tracked> open = new ConcurrentHashMap<>();

    public ConnectionTracker(ConnectionObserver observer) {
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    /** A fresh connection id. */
    public static long nextId() {
        return IDS.incrementAndGet();
    }

    /** Reports a connection refused by policy or failed before it opened, and logs why. */
    public void refused(ConnectionInfo info, String reason) {
        log.info(
                "{} connection {} {} -> {} refused: {}",
                info.reporter().label(),
                info.id(),
                info.source(),
                info.destination(),
                reason);
        try {
            observer.refused(info, reason);
        } catch (RuntimeException e) {
            log.warn("connection observer failed on refused", e);
        }
    }

    /**
     * Registers an opened connection and reports it.
     *
     * @param sentBytes bytes sent towards the server so far
     * @param receivedBytes bytes received from the server so far
     * @param abort resets the connection (used when its pod goes away)
     */
    public Tracked opened(
            ConnectionInfo info, String podUid, LongSupplier sentBytes, LongSupplier receivedBytes, Runnable abort) {
        Tracked tracked = new Tracked(info, podUid, sentBytes, receivedBytes, abort);
        open.put(info.id(), tracked);
        log.debug(
                "{} connection {} {} -> {} opened",
                info.reporter().label(),
                info.id(),
                info.source(),
                info.destination());
        try {
            observer.opened(info);
        } catch (RuntimeException e) {
            log.warn("connection observer failed on opened", e);
        }
        return tracked;
    }

    /** The open connections, oldest first. */
    public List<LiveConnection> connections() {
        return open.values().stream()
                .map(Tracked::snapshot)
                .sorted(Comparator.comparingLong(c -> c.info().id()))
                .toList();
    }

    /** The open connections of one pod. */
    public List<Tracked> connectionsOf(String podUid) {
        return open.values().stream().filter(t -> t.podUid.equals(podUid)).toList();
    }

    public int count(String podUid) {
        int count = 0;
        for (Tracked tracked : open.values()) {
            if (tracked.podUid.equals(podUid)) {
                count++;
            }
        }
        return count;
    }

    public Collection<Tracked> all() {
        return List.copyOf(open.values());
    }

    /** One open connection. */
    public final class Tracked {
        private final ConnectionInfo info;
        private final String podUid;
        private final LongSupplier sentBytes;
        private final LongSupplier receivedBytes;
        private final Runnable abort;
        private final AtomicBoolean closed = new AtomicBoolean();
        private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();

        private Tracked(
                ConnectionInfo info,
                String podUid,
                LongSupplier sentBytes,
                LongSupplier receivedBytes,
                Runnable abort) {
            this.info = Objects.requireNonNull(info, "info");
            this.podUid = Objects.requireNonNull(podUid, "podUid");
            this.sentBytes = sentBytes;
            this.receivedBytes = receivedBytes;
            this.abort = abort;
        }

        public ConnectionInfo info() {
            return info;
        }

        public String podUid() {
            return podUid;
        }

        public LiveConnection snapshot() {
            return new LiveConnection(info, podUid, sentBytes.getAsLong(), receivedBytes.getAsLong());
        }

        /** Resets both sides; {@link #closed} follows when they are gone. */
        public void abort() {
            abort.run();
        }

        /** Completes after {@link #closed} was reported. */
        public CompletableFuture<Void> closeFuture() {
            return closedFuture;
        }

        /** Reports the end of the connection (once; later calls are ignored). */
        public void closed(long sent, long received, Optional<String> error) {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            open.remove(info.id());
            log.debug(
                    "{} connection {} closed: sent {} received {}{}",
                    info.reporter().label(),
                    info.id(),
                    sent,
                    received,
                    error.map(e -> " (" + e + ")").orElse(""));
            try {
                observer.closed(info, sent, received, error);
            } catch (RuntimeException e) {
                log.warn("connection observer failed on closed", e);
            } finally {
                closedFuture.complete(null);
            }
        }
    }
}
