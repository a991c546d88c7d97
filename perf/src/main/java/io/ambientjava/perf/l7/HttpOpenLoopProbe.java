package io.ambientjava.perf.l7;

import io.ambientjava.perf.load.OpenLoopSchedule;
import io.ambientjava.testing.netns.Pod;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * An open-loop HTTP/1.1 load (what wrk2 does): GETs at a fixed rate over N keep-alive connections, round robin, one
 * outstanding request per connection; a request due while its connection is busy waits in that connection's queue.
 * Latency runs from a request's intended send time to its whole answer (no coordinated omission). All on one event
 * loop; the sockets are created inside the client pod.
 */
final class HttpOpenLoopProbe {

    /** What the measured window saw. */
    record Result(Histogram histogram, long sent, long answered, long failed, long non2xx) {
        double micros(double percentile) {
            return histogram.getValueAtPercentile(percentile) / 1_000.0;
        }
    }

    /** A running probe: {@link #measureFromNanos()} to {@link #measureUntilNanos()} is the measured window. */
    record Run(long measureFromNanos, long measureUntilNanos, CompletableFuture<Result> result) {}

    private final EventLoop loop;
    private final List<Connection> connections = new ArrayList<>();
    private final Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(30), 3);
    private final CompletableFuture<Result> result = new CompletableFuture<>();
    private final String host;
    private OpenLoopSchedule schedule;
    private long measureFrom;
    private long measureUntil;
    private long next;
    private long sent;
    private long answered;
    private long failed;
    private long non2xx;
    private long outstanding;
    private Duration drain;

    private HttpOpenLoopProbe(EventLoop loop, String host) {
        this.loop = loop;
        this.host = host;
    }

    /**
     * Connects {@code connections} times from inside {@code client} (with TLS when {@code tls} is present), then
     * sends {@code rate} requests per second for warm-up plus duration and collects the answers, waiting at most
     * {@code drain} for the last ones.
     */
    static Run start(
            Pod client,
            EventLoop loop,
            InetSocketAddress target,
            String host,
            Optional<SslContext> tls,
            int connections,
            int rate,
            Duration warmup,
            Duration duration,
            Duration drain)
            throws Exception {
        HttpOpenLoopProbe probe = new HttpOpenLoopProbe(loop, host);
        probe.drain = drain;
        for (int i = 0; i < connections; i++) {
            Connection c = probe.new Connection();
            Bootstrap bootstrap = new Bootstrap()
                    .group(loop)
                    .channel(EpollSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            tls.ifPresent(ctx -> ch.pipeline()
                                    .addLast(ctx.newHandler(
                                            ch.alloc(), target.getAddress().getHostAddress(), target.getPort())));
                            ch.pipeline().addLast(new HttpClientCodec());
                            ch.pipeline().addLast(new HttpObjectAggregator(1 << 20));
                            ch.pipeline().addLast(c);
                        }
                    });
            // connect() creates the socket on the calling thread: inside the client pod.
            c.channel = client.call(() -> bootstrap.connect(target)).sync().channel();
        }
        // One answered request per connection before the clock starts: a path that sets up its tunnels lazily does
        // it here, not inside the schedule (a slow first connect would otherwise queue seconds of load).
        List<CompletableFuture<Void>> primed = new ArrayList<>();
        for (Connection c : probe.connections) {
            primed.add(loop.submit(c::prime).sync().getNow());
        }
        CompletableFuture.allOf(primed.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        double seconds = (warmup.toNanos() + duration.toNanos()) / 1e9;
        return loop.submit(() -> probe.begin(start, rate, seconds, warmup))
                .sync()
                .getNow();
    }

    private Run begin(long start, int rate, double seconds, Duration warmup) {
        schedule = OpenLoopSchedule.covering(start, rate, seconds);
        measureFrom = start + warmup.toNanos();
        measureUntil = schedule.endNanos();
        tick();
        return new Run(measureFrom, measureUntil, result);
    }

    private void tick() {
        long now = System.nanoTime();
        long due = schedule.dueBy(now);
        while (next < due) {
            Connection c = connections.get((int) (next % connections.size()));
            c.enqueue(schedule.intendedNanos(next));
            next++;
        }
        if (next < schedule.totalRequests()) {
            loop.schedule(
                    this::tick, Math.max(0, schedule.intendedNanos(next) - System.nanoTime()), TimeUnit.NANOSECONDS);
        } else {
            loop.schedule(this::finish, drain.toNanos(), TimeUnit.NANOSECONDS);
            checkDone();
        }
    }

    private void checkDone() {
        if (next >= schedule.totalRequests() && outstanding == 0) {
            finish();
        }
    }

    private void finish() {
        if (result.isDone()) {
            return;
        }
        failed += outstanding;
        for (Connection c : connections) {
            c.channel.close();
        }
        result.complete(new Result(histogram.copy(), sent, answered, failed, non2xx));
    }

    private final class Connection extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final ArrayDeque<Long> waiting = new ArrayDeque<>();
        private static final long PRIMING = -2;
        private Channel channel;
        private long inFlight = -1;
        private final CompletableFuture<Void> primed = new CompletableFuture<>();

        Connection() {
            connections.add(this);
        }

        CompletableFuture<Void> prime() {
            send(PRIMING);
            return primed;
        }

        void enqueue(long intended) {
            sent++;
            outstanding++;
            if (inFlight < 0) {
                send(intended);
            } else {
                waiting.addLast(intended);
            }
        }

        private void send(long intended) {
            inFlight = intended;
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
            request.headers().set(HttpHeaderNames.HOST, host);
            channel.writeAndFlush(request);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            long now = System.nanoTime();
            if (inFlight == PRIMING) {
                inFlight = -1;
                primed.complete(null);
                return;
            }
            if (inFlight < 0 || result.isDone()) {
                return;
            }
            if (inFlight >= measureFrom && inFlight < measureUntil) {
                histogram.recordValue(Math.max(0, Math.min(now - inFlight, histogram.getHighestTrackableValue())));
                answered++;
                if (response.status().code() / 100 != 2) {
                    non2xx++;
                }
            } else {
                answered++;
            }
            outstanding--;
            inFlight = -1;
            Long following = waiting.pollFirst();
            if (following != null) {
                send(following);
            }
            checkDone();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            primed.completeExceptionally(new IllegalStateException("connection closed before its first answer"));
            if (!result.isDone()) {
                long lost = (inFlight >= 0 ? 1 : 0) + waiting.size();
                failed += lost;
                outstanding -= lost;
                waiting.clear();
                inFlight = Long.MAX_VALUE; // nothing more is sent on it
                checkDone();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
