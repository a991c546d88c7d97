package io.ambientjava.waypoint.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;

/**
 * Upstream connections to one host from one event loop (like Envoy's per-worker pools), so nothing here needs a
 * lock: every method runs on {@code loop}. HTTP/1.1 connections carry one exchange at a time and are kept for
 * reuse; HTTP/2 shares a connection, a stream per exchange, and opens another once one carries the cluster's
 * {@code max_concurrent_streams} (or has served {@code max_requests_per_connection}). Connection and pending-request
 * counts go to the cluster's circuit breakers.
 */
final class HostPool {

    private final HostState host;
    private final EventLoop loop;
    private final ClusterRuntime cluster;
    private final Transport transport;
    private final Deque<Channel> idle = new ArrayDeque<>();
    private final Deque<Waiter> waiters = new ArrayDeque<>();
    /** The HTTP/2 connection new streams go to; connections replaced before it drain and close on their own. */
    private Http2Connection h2;

    private CompletableFuture<Http2Connection> h2Opening;

    /** An upstream HTTP/2 connection and its own stream counts (loop only). */
    private static final class Http2Connection {
        final Channel channel;
        int streams;
        int served;

        Http2Connection(Channel channel) {
            this.channel = channel;
        }
    }

    private static final io.netty.util.AttributeKey<Long> IDLE_SINCE =
            io.netty.util.AttributeKey.valueOf("waypoint.idleSince");
    private boolean sweeping;
    private boolean retired;

    private record Waiter(CompletableFuture<Lease> lease) {}

    /** Loop: closes idle connections past the cluster's idle timeout, checking again while any stay idle. */
    private void scheduleSweep() {
        long timeout = cluster.config().idleTimeout().toNanos();
        long period = Math.max(
                java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100),
                Math.min(timeout, java.util.concurrent.TimeUnit.SECONDS.toNanos(30)));
        loop.schedule(
                () -> {
                    long now = System.nanoTime();
                    long limit = cluster.config().idleTimeout().toNanos();
                    idle.removeIf(ch -> {
                        Long since = ch.attr(IDLE_SINCE).get();
                        if (since != null && now - since >= limit) {
                            ch.close();
                            return true;
                        }
                        return false;
                    });
                    if (idle.isEmpty()) {
                        sweeping = false;
                    } else {
                        scheduleSweep();
                    }
                },
                period,
                java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    HostPool(HostState host, EventLoop loop, ClusterRuntime cluster, Transport transport) {
        this.host = host;
        this.loop = loop;
        this.cluster = cluster;
        this.transport = transport;
    }

    CompletableFuture<Lease> acquire(UpstreamProtocol protocol) {
        return protocol == UpstreamProtocol.HTTP2 ? acquireHttp2() : acquireHttp1();
    }

    // ---- HTTP/1.1

    private CompletableFuture<Lease> acquireHttp1() {
        Channel ch;
        while ((ch = idle.pollFirst()) != null) {
            if (ch.isActive()) {
                return CompletableFuture.completedFuture(new Http1Lease(ch));
            }
        }
        CompletableFuture<Lease> result = new CompletableFuture<>();
        if (cluster.limits().tryOpenConnection()) {
            dialHttp1(result);
        } else if (cluster.limits().tryAddPending()) {
            waiters.addLast(new Waiter(result));
            cluster.reclaimIdleConnections(); // an idle connection in another loop's pool holds the slot
        } else {
            result.completeExceptionally(
                    new OverflowException("upstream connections and pending requests at their limits"));
        }
        return result;
    }

    private void dialHttp1(CompletableFuture<Lease> result) {
        transport.open(host.endpoint(), cluster.config(), loop, null).whenComplete((ch, error) -> {
            if (error != null) {
                cluster.limits().connectionClosed();
                result.completeExceptionally(error);
                cluster.connectionFreed();
                return;
            }
            ch.eventLoop().execute(() -> {
                ch.pipeline().addLast("http", new HttpClientCodec());
                Transport.startReading(ch);
                ch.closeFuture().addListener(f -> loop.execute(() -> onHttp1Closed(ch)));
                cluster.config().maxConnectionDuration().ifPresent(max -> expireAfter(ch, max));
                if (!result.complete(new Http1Lease(ch))) {
                    ch.close();
                }
            });
        });
    }

    private static final io.netty.util.AttributeKey<Boolean> EXPIRED =
            io.netty.util.AttributeKey.valueOf("waypoint.expired");

    /** At the cluster's max_connection_duration an idle connection closes and a busy one takes no further request. */
    private void expireAfter(Channel ch, java.time.Duration max) {
        var expiry = loop.schedule(
                () -> {
                    ch.attr(EXPIRED).set(Boolean.TRUE);
                    if (idle.remove(ch)) {
                        ch.close();
                    }
                },
                max.toNanos(),
                java.util.concurrent.TimeUnit.NANOSECONDS);
        ch.closeFuture().addListener(f -> expiry.cancel(false));
    }

    private void onHttp1Closed(Channel ch) {
        idle.remove(ch);
        cluster.limits().connectionClosed();
        cluster.connectionFreed();
    }

    /** Loop: dials for waiting requests while the cluster's connection limit allows. */
    void serveWaitersWithNewConnections() {
        while (!waiters.isEmpty() && cluster.limits().tryOpenConnection()) {
            Waiter w = waiters.pollFirst();
            cluster.limits().pendingDone();
            dialHttp1(w.lease());
        }
    }

    private void releaseHttp1(Channel ch, int served, boolean reusable) {
        int max = cluster.config().maxRequestsPerConnection();
        if (retired
                || !reusable
                || !ch.isActive()
                || (max > 0 && served >= max)
                || Boolean.TRUE.equals(ch.attr(EXPIRED).get())) {
            ch.close();
            return;
        }
        Waiter w = waiters.pollFirst();
        if (w != null) {
            cluster.limits().pendingDone();
            Http1Lease lease = new Http1Lease(ch);
            lease.served = served;
            if (!w.lease().complete(lease)) {
                releaseHttp1(ch, served, true);
            }
            return;
        }
        if (cluster.limits().pending.get() > 0) {
            ch.close(); // requests wait in other loops' pools: free the slot for them
            return;
        }
        ch.attr(Http1Lease.SERVED).set(served);
        idle.addFirst(ch);
        ch.attr(IDLE_SINCE).set(System.nanoTime());
        if (!sweeping) {
            sweeping = true;
            scheduleSweep();
        }
    }

    /** Loop: closes one idle connection, if any. */
    void closeOneIdle() {
        Channel ch = idle.pollFirst();
        if (ch != null) {
            ch.close();
        }
    }

    boolean hasWaiters() {
        return !waiters.isEmpty();
    }

    private final class Http1Lease implements Lease {
        static final io.netty.util.AttributeKey<Integer> SERVED = io.netty.util.AttributeKey.valueOf("waypoint.served");
        private final Channel ch;
        int served;
        private boolean released;

        Http1Lease(Channel ch) {
            this.ch = ch;
            Integer before = ch.attr(SERVED).get();
            this.served = before == null ? 0 : before;
        }

        @Override
        public Channel channel() {
            return ch;
        }

        @Override
        public boolean reused() {
            return served > 0;
        }

        @Override
        public HostState host() {
            return host;
        }

        @Override
        public void release(boolean reusable) {
            if (released) {
                return;
            }
            released = true;
            int count = served + 1;
            if (loop.inEventLoop()) {
                releaseHttp1(ch, count, reusable);
            } else {
                loop.execute(() -> releaseHttp1(ch, count, reusable));
            }
        }
    }

    // ---- HTTP/2

    private CompletableFuture<Lease> acquireHttp2() {
        int max = cluster.config().maxRequestsPerConnection();
        int streamLimit = cluster.config().http2MaxConcurrentStreams();
        if (h2 != null && (!h2.channel.isActive() || h2.streams >= streamLimit || (max > 0 && h2.served >= max))) {
            if (h2.channel.isActive() && h2.streams == 0) {
                h2.channel.close();
            }
            h2 = null; // drains on its own; its close releases the connection count
        }
        if (h2 != null) {
            return openStream(h2);
        }
        if (h2Opening == null) {
            if (!cluster.limits().tryOpenConnection()) {
                return CompletableFuture.failedFuture(new OverflowException("upstream connections at their limit"));
            }
            h2Opening = new CompletableFuture<>();
            CompletableFuture<Http2Connection> opening = h2Opening;
            transport
                    .open(host.endpoint(), cluster.config(), loop, null)
                    .whenComplete((ch, error) -> loop.execute(() -> {
                        h2Opening = null;
                        if (error != null) {
                            cluster.limits().connectionClosed();
                            opening.completeExceptionally(error);
                            return;
                        }
                        Http2Connection connection = new Http2Connection(ch);
                        ch.eventLoop().execute(() -> {
                            ch.pipeline()
                                    .addLast(Http2FrameCodecBuilder.forClient().build());
                            ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                            Transport.startReading(ch);
                            ch.closeFuture()
                                    .addListener(f -> loop.execute(() -> {
                                        if (h2 == connection) {
                                            h2 = null;
                                        }
                                        cluster.limits().connectionClosed();
                                    }));
                            loop.execute(() -> {
                                h2 = connection;
                                cluster.config()
                                        .maxConnectionDuration()
                                        .ifPresent(maxAge -> retireHttp2After(connection, maxAge));
                                opening.complete(connection);
                            });
                        });
                    }));
        }
        // Everyone who waited for the connection asks again: past its stream limit the next waiter opens another.
        return h2Opening.thenCompose(opened -> {
            CompletableFuture<Lease> r = new CompletableFuture<>();
            loop.execute(() -> acquireHttp2().whenComplete((l, e) -> {
                if (e != null) {
                    r.completeExceptionally(e);
                } else {
                    r.complete(l);
                }
            }));
            return r;
        });
    }

    private CompletableFuture<Lease> openStream(Http2Connection connection) {
        connection.streams++;
        connection.served++;
        Channel parent = connection.channel;
        CompletableFuture<Lease> result = new CompletableFuture<>();
        new Http2StreamChannelBootstrap(parent)
                .handler(new Http2StreamFrameToHttpObjectCodec(false))
                .open()
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        loop.execute(() -> connection.streams--);
                        result.completeExceptionally(f.cause());
                        return;
                    }
                    Http2StreamChannel stream = (Http2StreamChannel) f.getNow();
                    stream.closeFuture().addListener(c -> loop.execute(() -> streamEnded(connection)));
                    result.complete(new Lease() {
                        @Override
                        public Channel channel() {
                            return stream;
                        }

                        @Override
                        public HostState host() {
                            return host;
                        }

                        @Override
                        public void release(boolean reusable) {
                            stream.close();
                        }
                    });
                });
        return result;
    }

    /** Loop: at the cluster's max_connection_duration no new stream goes to the connection; it closes when drained. */
    private void retireHttp2After(Http2Connection connection, java.time.Duration maxAge) {
        var expiry = loop.schedule(
                () -> {
                    if (h2 == connection) {
                        h2 = null;
                    }
                    if (connection.streams == 0) {
                        connection.channel.close();
                    }
                },
                maxAge.toNanos(),
                java.util.concurrent.TimeUnit.NANOSECONDS);
        connection.channel.closeFuture().addListener(f -> expiry.cancel(false));
    }

    /** Loop: a stream ended; a connection left with none closes if it was replaced or used up, else when idle. */
    private void streamEnded(Http2Connection connection) {
        connection.streams--;
        if (connection.streams > 0 || !connection.channel.isActive()) {
            return;
        }
        int max = cluster.config().maxRequestsPerConnection();
        if (connection != h2 || (max > 0 && connection.served >= max)) {
            if (connection == h2) {
                h2 = null;
            }
            connection.channel.close();
        } else {
            closeHttp2IfStillIdle(connection, connection.served);
        }
    }

    /** Loop: after the idle timeout, closes the HTTP/2 connection if no stream was opened on it meanwhile. */
    private void closeHttp2IfStillIdle(Http2Connection connection, int servedWhenIdle) {
        loop.schedule(
                () -> {
                    if (connection == h2 && connection.streams == 0 && connection.served == servedWhenIdle) {
                        h2 = null;
                        connection.channel.close();
                    }
                },
                cluster.config().idleTimeout().toNanos(),
                java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void closeIdle() {
        idle.forEach(Channel::close);
        idle.clear();
    }

    /** Loop: the endpoint left the cluster; idle connections close now, busy ones when their exchange ends. */
    void retire() {
        retired = true;
        closeIdle();
        if (h2 != null && h2.streams == 0) {
            h2.channel.close();
        }
        h2 = null;
    }
}
