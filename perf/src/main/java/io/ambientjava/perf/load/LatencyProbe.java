package io.ambientjava.perf.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Open-loop request/response latency: fixed-size messages sent to an echo server at a fixed rate, spread
 * round-robin over a set of connections, each answer timed from when its request was <em>meant</em> to be sent.
 * Requests go out on schedule even while earlier ones are unanswered (they queue up on the connection), so a
 * stall shows in the histogram instead of silently lowering the load.
 *
 * <p>Everything runs on one event loop: sending, receiving and recording need no locks.
 */
public final class LatencyProbe {

    /** Latencies above this are recorded as this (a full minute means the run is broken anyway). */
    private static final long HIGHEST_TRACKABLE_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final EventLoop loop;
    private final LatencyPlan plan;
    private final OpenLoopSchedule schedule;
    private final long measureFromNanos;
    private final Histogram histogram = new Histogram(HIGHEST_TRACKABLE_NANOS, 3);
    private final List<Connection> connections = new ArrayList<>();
    private final CompletableFuture<LatencySample> done = new CompletableFuture<>();
    private final ByteBuf message;
    private long nextIndex;
    private long completed;
    private long failed;
    private long drainDeadlineNanos;
    private boolean finished;

    private LatencyProbe(EventLoop loop, LatencyPlan plan, long startNanos) {
        this.loop = loop;
        this.plan = plan;
        this.schedule = OpenLoopSchedule.covering(
                startNanos,
                plan.ratePerSecond(),
                plan.warmup().plus(plan.duration()).toNanos() / 1e9);
        this.measureFromNanos = startNanos + plan.warmup().toNanos();
        byte[] bytes = new byte[plan.messageSize()];
        ThreadLocalRandom.current().nextBytes(bytes);
        this.message =
                Unpooled.unreleasableBuffer(Unpooled.directBuffer(bytes.length).writeBytes(bytes));
    }

    /**
     * Connects, then starts the schedule a little later on {@code loop}. The returned run says when the measured
     * window begins and ends (for sampling the tunnel's CPU) and completes with the sample.
     */
    public static Run start(EventLoop loop, InetSocketAddress target, LatencyPlan plan) throws InterruptedException {
        List<Channel> channels = connect(loop, target, plan);
        long startNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        LatencyProbe probe = new LatencyProbe(loop, plan, startNanos);
        loop.execute(() -> probe.begin(channels));
        return new Run(probe.measureFromNanos, probe.schedule.endNanos(), probe.done);
    }

    private static List<Channel> connect(EventLoop loop, InetSocketAddress target, LatencyPlan plan)
            throws InterruptedException {
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(EpollSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false) // reading starts with the schedule
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // The per-connection handler is added once the schedule begins.
                    }
                });
        List<ChannelFuture> connects = new ArrayList<>();
        for (int i = 0; i < plan.connections(); i++) {
            connects.add(bootstrap.connect(target));
        }
        List<Channel> channels = new ArrayList<>();
        for (ChannelFuture connect : connects) {
            if (!connect.await(10, TimeUnit.SECONDS) || !connect.isSuccess()) {
                connects.forEach(c -> c.channel().close());
                throw new IllegalStateException("latency probe could not connect to " + target, connect.cause());
            }
            channels.add(connect.channel());
        }
        return channels;
    }

    private void begin(List<Channel> channels) {
        for (Channel channel : channels) {
            Connection connection = new Connection(channel);
            connections.add(connection);
            channel.pipeline().addLast(connection);
            channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {EchoSinkServer.MODE_ECHO}));
            channel.config().setAutoRead(true);
        }
        loop.schedule(this::sendDue, Math.max(0, schedule.startNanos() - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void sendDue() {
        long now = System.nanoTime();
        long due = schedule.dueBy(now);
        for (; nextIndex < due; nextIndex++) {
            Connection connection = connections.get((int) (nextIndex % connections.size()));
            connection.send(schedule.intendedNanos(nextIndex));
        }
        if (nextIndex < schedule.totalRequests()) {
            long delay = schedule.intendedNanos(nextIndex) - System.nanoTime();
            loop.schedule(this::sendDue, Math.max(0, delay), TimeUnit.NANOSECONDS);
        } else {
            drainDeadlineNanos = System.nanoTime() + plan.drainTimeout().toNanos();
            checkDrained();
        }
    }

    private void checkDrained() {
        long outstanding =
                connections.stream().mapToLong(c -> c.inFlight.size()).sum();
        if (outstanding == 0 || System.nanoTime() >= drainDeadlineNanos) {
            finish(outstanding);
        } else {
            loop.schedule(this::checkDrained, 1, TimeUnit.MILLISECONDS);
        }
    }

    private void finish(long unanswered) {
        LatencySample sample =
                new LatencySample(plan, histogram.copy(), schedule.totalRequests(), completed, failed + unanswered);
        finished = true;
        for (Connection connection : connections) {
            connection.channel.close();
        }
        message.unwrap().release();
        done.complete(sample);
    }

    /** A started probe: the measured window and the eventual sample. */
    public record Run(long measureFromNanos, long measureUntilNanos, CompletableFuture<LatencySample> sample) {}

    private final class Connection extends ChannelInboundHandlerAdapter {
        private final Channel channel;
        private final LongRing inFlight = new LongRing(64);
        private long unmatchedBytes;

        Connection(Channel channel) {
            this.channel = channel;
        }

        void send(long intendedNanos) {
            if (!channel.isActive()) {
                failed++;
                return;
            }
            inFlight.add(intendedNanos);
            channel.writeAndFlush(message.duplicate(), channel.voidPromise());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            unmatchedBytes += buf.readableBytes();
            buf.release();
            long now = System.nanoTime();
            int size = plan.messageSize();
            while (unmatchedBytes >= size && !inFlight.isEmpty()) {
                unmatchedBytes -= size;
                long intended = inFlight.poll();
                completed++;
                if (intended >= measureFromNanos) {
                    histogram.recordValue(Math.min(now - intended, HIGHEST_TRACKABLE_NANOS));
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            // Whatever was still in flight on a connection that closed early will never be answered.
            if (!finished) {
                failed += inFlight.size();
            }
            while (!inFlight.isEmpty()) {
                inFlight.poll();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
