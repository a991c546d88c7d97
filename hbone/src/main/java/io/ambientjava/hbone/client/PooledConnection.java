package io.ambientjava.hbone.client;

import io.ambientjava.identity.SpiffeId;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/** One HBONE connection in the pool. Counters are guarded by the pool's lock. */
final class PooledConnection {

    final PoolKey key;
    /** Where the connection is dialed and lives. */
    final EventLoop loop;
    /** Completes once TLS is done, the peer identity checked and the peer's first SETTINGS arrived. */
    final CompletableFuture<PooledConnection> ready = new CompletableFuture<>();

    volatile Channel channel;
    volatile Optional<SpiffeId> peerIdentity = Optional.empty();

    // Guarded by the pool lock.
    int streams; // reserved or open
    int maxStreams;
    boolean draining; // no new streams: GOAWAY received, idle-closed, or closed
    ScheduledFuture<?> idleTimer;

    PooledConnection(PoolKey key, EventLoop loop, int maxStreams) {
        this.key = key;
        this.loop = loop;
        this.maxStreams = maxStreams;
    }

    @Override
    public String toString() {
        Channel ch = channel;
        return "HBONE connection to " + key.peer()
                + peerIdentity.map(id -> " (" + id + ")").orElse("") + (ch == null ? "" : " " + ch.id());
    }
}
