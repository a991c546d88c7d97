package io.ambientjava.hbone.client;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HBONE connections by {@link PoolKey}: a request takes a slot on a connection with room (one still being set
 * up counts), else a new connection is made. A request that names an event loop takes a slot only on a connection
 * of that loop, as Envoy keeps one pool per worker: its stream's bytes then never cross to another thread. Slots are given back when streams close; a connection left with no
 * streams closes after the idle timeout; one that receives GOAWAY takes no new streams and closes when its last
 * stream ends; a closed one is forgotten.
 */
final class ConnectionPool {

    private static final Logger log = LoggerFactory.getLogger(ConnectionPool.class);

    /** A slot on {@code connection}; {@code isNew} means the caller must dial it. */
    record Reservation(PooledConnection connection, boolean isNew) {}

    private final Object lock = new Object();
    private final Map<PoolKey, List<PooledConnection>> connections = new HashMap<>();
    private final int maxStreamsPerConnection;
    private final Duration idleTimeout;
    private boolean closed;

    ConnectionPool(int maxStreamsPerConnection, Duration idleTimeout) {
        this.maxStreamsPerConnection = maxStreamsPerConnection;
        this.idleTimeout = idleTimeout;
    }

    /**
     * @param loop the loop the connection must live on, or null for any (a new one then goes to {@code group}'s
     *     next loop)
     */
    Reservation reserve(PoolKey key, EventLoop loop, EventLoopGroup group) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("HBONE client is closed");
            }
            List<PooledConnection> candidates = connections.computeIfAbsent(key, k -> new ArrayList<>(2));
            for (PooledConnection c : candidates) {
                if (!c.draining && c.streams < c.maxStreams && (loop == null || c.loop == loop)) {
                    c.streams++;
                    cancelIdleTimer(c);
                    return new Reservation(c, false);
                }
            }
            PooledConnection fresh =
                    new PooledConnection(key, loop != null ? loop : group.next(), maxStreamsPerConnection);
            fresh.streams = 1;
            candidates.add(fresh);
            return new Reservation(fresh, true);
        }
    }

    /**
     * Before the peer's SETTINGS are known a connection takes up to our own cap of reservations; once they are,
     * a reservation beyond the peer's limit gives its slot back (and the caller reserves again elsewhere).
     *
     * @return whether the reservation may open its stream on {@code c}
     */
    boolean confirm(PooledConnection c) {
        synchronized (lock) {
            if (c.streams > c.maxStreams) {
                c.streams--;
                return false;
            }
            return true;
        }
    }

    /** A stream (or an attempt at one) on {@code c} is over. */
    void release(PooledConnection c) {
        Channel toClose = null;
        synchronized (lock) {
            c.streams--;
            if (c.streams == 0) {
                if (c.draining) {
                    toClose = c.channel;
                } else if (c.channel != null) {
                    scheduleIdleTimer(c);
                }
            }
        }
        if (toClose != null) {
            log.debug("{} drained, closing", c);
            toClose.close();
        }
    }

    /** The peer's SETTINGS arrived: how many concurrent streams it allows us. */
    void peerSettings(PooledConnection c, Long maxConcurrentStreams) {
        synchronized (lock) {
            if (maxConcurrentStreams != null) {
                c.maxStreams = (int) Math.max(1, Math.min(maxStreamsPerConnection, maxConcurrentStreams));
            }
        }
    }

    /** GOAWAY: no new streams; close once the last one ends. */
    void drain(PooledConnection c) {
        Channel toClose = null;
        synchronized (lock) {
            forget(c);
            if (c.streams == 0) {
                toClose = c.channel;
            }
        }
        if (toClose != null) {
            toClose.close();
        }
    }

    /** The connection failed or closed. */
    void closed(PooledConnection c) {
        synchronized (lock) {
            forget(c);
        }
    }

    List<PooledConnectionInfo> snapshot() {
        synchronized (lock) {
            List<PooledConnectionInfo> out = new ArrayList<>();
            connections
                    .values()
                    .forEach(list -> list.forEach(c -> out.add(
                            new PooledConnectionInfo(c.key, c.streams, c.maxStreams, c.ready.isDone(), c.draining))));
            return out;
        }
    }

    /** Forgets every connection and returns their channels for the caller to close. */
    List<Channel> closeAll() {
        synchronized (lock) {
            closed = true;
            List<Channel> channels = new ArrayList<>();
            connections
                    .values()
                    .forEach(list -> list.forEach(c -> {
                        c.draining = true;
                        cancelIdleTimer(c);
                        if (c.channel != null) {
                            channels.add(c.channel);
                        }
                    }));
            connections.clear();
            return channels;
        }
    }

    private void forget(PooledConnection c) {
        c.draining = true;
        cancelIdleTimer(c);
        List<PooledConnection> list = connections.get(c.key);
        if (list != null && list.remove(c) && list.isEmpty()) {
            connections.remove(c.key);
        }
    }

    private void scheduleIdleTimer(PooledConnection c) {
        cancelIdleTimer(c);
        c.idleTimer = c.channel.eventLoop().schedule(() -> idleExpired(c), idleTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void idleExpired(PooledConnection c) {
        Channel toClose = null;
        synchronized (lock) {
            if (c.streams == 0 && !c.draining) {
                forget(c);
                toClose = c.channel;
            }
        }
        if (toClose != null) {
            log.debug("{} idle for {}, closing", c, idleTimeout);
            toClose.close();
        }
    }

    private static void cancelIdleTimer(PooledConnection c) {
        if (c.idleTimer != null) {
            c.idleTimer.cancel(false);
            c.idleTimer = null;
        }
    }
}
