package io.ambientjava.hbone;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Many busy streams on one connection must still send DATA frames of a useful size (Netty's default distributor
 * takes turns of 1 KiB, which made 16 bulk tunnels on one connection several times slower than one).
 */
class HboneFrameCodecBuilderTest {

    private static final int STREAMS = 16;
    private static final int CHUNK = 64 * 1024;
    private static final int CHUNKS_PER_STREAM = 4;

    @Test
    void manyBusyStreamsShareTheConnectionInLargeDataFrames() {
        List<Integer> frameSizes = new ArrayList<>(); // embedded channels: everything on this thread
        EmbeddedChannel server = new EmbeddedChannel(
                HboneFrameCodecBuilder.forServer()
                        .initialSettings(HboneSettings.defaults().serverSettings())
                        .build(),
                new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                        stream.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof Http2DataFrame data
                                        && data.content().isReadable()) {
                                    frameSizes.add(data.content().readableBytes());
                                }
                                ReferenceCountUtil.release(msg);
                            }
                        });
                    }
                }));
        EmbeddedChannel client = new EmbeddedChannel(
                HboneFrameCodecBuilder.forClient()
                        .initialSettings(HboneSettings.defaults().clientSettings())
                        .build(),
                new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel pushed) {}
                }));
        try {
            exchange(client, server); // prefaces and SETTINGS

            List<Http2StreamChannel> streams = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                Http2StreamChannel stream = new Http2StreamChannelBootstrap(client)
                        .handler(new ChannelInboundHandlerAdapter())
                        .open()
                        .syncUninterruptibly()
                        .getNow();
                stream.writeAndFlush(new DefaultHttp2HeadersFrame(
                        new DefaultHttp2Headers().method("CONNECT").authority("127.0.0.1:" + (8000 + i))));
                streams.add(stream);
            }
            exchange(client, server);

            // Every stream has all its data queued before anything is flushed: all are busy at once.
            for (Http2StreamChannel stream : streams) {
                for (int c = 0; c < CHUNKS_PER_STREAM; c++) {
                    stream.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[CHUNK])));
                }
            }
            client.flush();
            exchange(client, server);

            long total = frameSizes.stream().mapToLong(Integer::longValue).sum();
            assertThat(total).isEqualTo((long) STREAMS * CHUNKS_PER_STREAM * CHUNK);
            assertThat(total / frameSizes.size())
                    .as("average DATA frame size over %d frames", frameSizes.size())
                    .isGreaterThanOrEqualTo(16 * 1024);
        } finally {
            client.finishAndReleaseAll();
            server.finishAndReleaseAll();
        }
    }

    /** Moves bytes both ways until neither side has anything more to send. */
    private static void exchange(EmbeddedChannel a, EmbeddedChannel b) {
        for (int round = 0; round < 10_000; round++) {
            if (!move(a, b) & !move(b, a)) {
                return;
            }
        }
        throw new AssertionError("the two ends never went quiet");
    }

    private static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
        from.runPendingTasks();
        from.flushOutbound();
        boolean moved = false;
        for (ByteBuf buf; (buf = from.readOutbound()) != null; ) {
            to.writeInbound(buf);
            moved = true;
        }
        return moved;
    }
}
