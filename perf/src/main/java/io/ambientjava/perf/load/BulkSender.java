package io.ambientjava.perf.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Streams bytes one way to a {@link EchoSinkServer} sink over {@code streams} connections, as fast as each
 * connection accepts them, until closed. Writes slices of one shared buffer, so sending allocates (almost)
 * nothing; how much arrived is counted at the sink.
 */
public final class BulkSender implements AutoCloseable {

    private final List<Channel> channels = new ArrayList<>();
    private final ByteBuf backing;
    private final ByteBuf chunk;
    private volatile boolean stopped;

    private BulkSender(int chunkSize) {
        byte[] bytes = new byte[chunkSize];
        ThreadLocalRandom.current().nextBytes(bytes); // incompressible, in case anything on the path compresses
        // Direct, so epoll can write it without a copy; unreleasable, so every duplicate shares it safely.
        backing = Unpooled.directBuffer(chunkSize).writeBytes(bytes);
        chunk = Unpooled.unreleasableBuffer(backing);
    }

    /** Connects {@code streams} connections to {@code target} and starts sending on each. */
    public static BulkSender start(
            EventLoopGroup group, InetSocketAddress target, int streams, int chunkSize, Duration connectTimeout)
            throws InterruptedException {
        if (streams <= 0) {
            throw new IllegalArgumentException("bulk transfer needs at least one stream, got " + streams);
        }
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("bulk chunk size must be positive, got " + chunkSize);
        }
        BulkSender sender = new BulkSender(chunkSize);
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(EpollSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .handler(sender.new Pump());
        List<ChannelFuture> connects = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            connects.add(bootstrap.connect(target));
        }
        try {
            for (ChannelFuture connect : connects) {
                if (!connect.await(connectTimeout.toMillis(), TimeUnit.MILLISECONDS) || !connect.isSuccess()) {
                    throw new IllegalStateException(
                            "bulk stream could not connect to " + target + " within " + connectTimeout,
                            connect.cause());
                }
                sender.channels.add(connect.channel());
            }
        } catch (RuntimeException | InterruptedException e) {
            connects.forEach(c -> c.channel().close());
            sender.close();
            throw e;
        }
        return sender;
    }

    /** Connections that are still open (a tunnel that drops streams shows here). */
    public long openStreams() {
        return channels.stream().filter(Channel::isActive).count();
    }

    @Override
    public void close() {
        stopped = true;
        for (Channel channel : channels) {
            channel.close();
        }
        for (Channel channel : channels) {
            channel.closeFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (backing.refCnt() > 0) {
            backing.release();
        }
    }

    private final class Pump extends ChannelInboundHandlerAdapter {

        @Override
        public boolean isSharable() {
            return true;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.write(Unpooled.wrappedBuffer(new byte[] {EchoSinkServer.MODE_SINK}), ctx.voidPromise());
            fill(ctx);
            ctx.fireChannelActive();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            fill(ctx);
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg); // a sink never answers; ignore anything that arrives
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        private void fill(ChannelHandlerContext ctx) {
            Channel channel = ctx.channel();
            // Bounded by the channel's high water mark: at most ~1 MiB queued per connection.
            while (!stopped && channel.isActive() && channel.isWritable()) {
                ctx.write(chunk.duplicate(), ctx.voidPromise());
            }
            ctx.flush();
        }
    }
}
