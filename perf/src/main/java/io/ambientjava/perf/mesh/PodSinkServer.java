package io.ambientjava.perf.mesh;

import io.ambientjava.perf.load.EchoSinkServer;
import io.ambientjava.testing.netns.Pod;
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
import java.util.concurrent.atomic.AtomicLong;

/**
 * The perf module's echo/sink protocol (first byte {@link EchoSinkServer#MODE_SINK} or
 * {@link EchoSinkServer#MODE_ECHO}), served on every address of a pod's namespace: the load generator's
 * {@code BulkSender} and {@code LatencyProbe} talk to it unchanged. The listening socket is created inside the
 * pod; the event loops that serve it run wherever they were started.
 */
public final class PodSinkServer implements AutoCloseable {

    private final AtomicLong sinkBytes = new AtomicLong();
    private Channel serverChannel;

    private PodSinkServer() {}

    /** Listens on {@code port} (0: any) of all of {@code pod}'s addresses. */
    public static PodSinkServer start(Pod pod, EventLoopGroup group, int port) throws Exception {
        PodSinkServer server = new PodSinkServer();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(server.new Connection());
                    }
                });
        // bind() creates the socket on the calling thread: inside the pod's namespace.
        server.serverChannel = pod.call(() -> bootstrap.bind(new InetSocketAddress("0.0.0.0", port)))
                .sync()
                .channel();
        return server;
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Bytes received on sink connections so far (mode bytes not counted). */
    public long sinkBytes() {
        return sinkBytes.get();
    }

    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly();
    }

    private final class Connection extends ChannelInboundHandlerAdapter {
        private byte mode;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            if (mode == 0 && buf.isReadable()) {
                mode = buf.readByte();
                if (mode != EchoSinkServer.MODE_SINK && mode != EchoSinkServer.MODE_ECHO) {
                    buf.release();
                    ctx.close();
                    return;
                }
            }
            if (mode == EchoSinkServer.MODE_ECHO && buf.isReadable()) {
                ctx.write(buf, ctx.voidPromise());
                return;
            }
            sinkBytes.addAndGet(buf.readableBytes());
            ReferenceCountUtil.release(buf);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (mode == EchoSinkServer.MODE_ECHO) {
                ctx.flush();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
