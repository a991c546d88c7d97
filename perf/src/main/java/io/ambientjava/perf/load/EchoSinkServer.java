package io.ambientjava.perf.load;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The far end of every benchmark path. The first byte a client sends picks the mode of its connection:
 * {@link #MODE_SINK} discards everything after it and counts the bytes, {@link #MODE_ECHO} sends everything after
 * it back. Since the mode travels inside the stream, a tunnel in between needs to know only one target address.
 */
public final class EchoSinkServer implements AutoCloseable {

    public static final byte MODE_SINK = 'S';
    public static final byte MODE_ECHO = 'E';

    private final AtomicLong sinkBytes = new AtomicLong();
    private final AtomicInteger openConnections = new AtomicInteger();
    private Channel serverChannel;

    private EchoSinkServer() {}

    /** Binds to an ephemeral port on 127.0.0.1. */
    public static EchoSinkServer start(EventLoopGroup group) throws InterruptedException {
        EchoSinkServer server = new EchoSinkServer();
        server.serverChannel = new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(server.new ModeSelector());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .sync()
                .channel();
        return server;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Bytes received by sink connections since the server started (mode bytes not counted). */
    public long sinkBytes() {
        return sinkBytes.get();
    }

    public int openConnections() {
        return openConnections.get();
    }

    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly();
    }

    private final class ModeSelector extends ChannelInboundHandlerAdapter {

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            openConnections.incrementAndGet();
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            openConnections.decrementAndGet();
            ctx.fireChannelInactive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            if (!buf.isReadable()) {
                buf.release();
                return;
            }
            byte mode = buf.readByte();
            switch (mode) {
                case MODE_SINK -> ctx.pipeline().addLast(new Sink());
                case MODE_ECHO -> ctx.pipeline().addLast(new Echo());
                default -> {
                    buf.release();
                    ctx.close();
                    return;
                }
            }
            // Stay in the pipeline only to keep the connection count; later reads pass straight through.
            ctx.pipeline().replace(this, "counter", new ConnectionCounter());
            if (buf.isReadable()) {
                ctx.pipeline().context("counter").fireChannelRead(buf);
            } else {
                buf.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private final class ConnectionCounter extends ChannelInboundHandlerAdapter {
        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            openConnections.decrementAndGet();
            ctx.fireChannelInactive();
        }
    }

    private final class Sink extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf) {
                sinkBytes.addAndGet(buf.readableBytes());
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            if (!ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
