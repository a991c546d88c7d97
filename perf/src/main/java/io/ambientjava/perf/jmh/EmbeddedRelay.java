package io.ambientjava.perf.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;

/**
 * Two embedded channels joined by the plainest relay handler, driven exactly as {@link HboneStreamHarness}
 * drives the HBONE path: what the measuring apparatus costs per message.
 */
final class EmbeddedRelay implements AutoCloseable {

    private final EmbeddedChannel in;
    private final EmbeddedChannel out;
    private final ByteBuf message;

    EmbeddedRelay(int messageSize) {
        out = new EmbeddedChannel();
        in = new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                out.write(msg, out.voidPromise());
            }

            @Override
            public void channelReadComplete(ChannelHandlerContext ctx) {
                out.flush();
            }
        });
        message = Unpooled.directBuffer(messageSize).writeZero(messageSize);
    }

    long forwardOne() {
        in.writeInbound(message.retainedDuplicate());
        out.runPendingTasks();
        in.runPendingTasks();
        return drain(out) + drain(in);
    }

    private static long drain(EmbeddedChannel channel) {
        long bytes = 0;
        Object msg;
        while ((msg = channel.readOutbound()) != null) {
            if (msg instanceof ByteBuf buf) {
                bytes += buf.readableBytes();
            }
            ReferenceCountUtil.release(msg);
        }
        return bytes;
    }

    @Override
    public void close() {
        in.finishAndReleaseAll();
        out.finishAndReleaseAll();
        message.release();
    }
}
