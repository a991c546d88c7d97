package io.ambientjava.hbone;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.hbone.client.HboneStream;
import io.ambientjava.hbone.server.ConnectDecision;
import io.ambientjava.hbone.server.HboneConnector;
import io.ambientjava.hbone.testsupport.HboneTestBed;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Streams of one HBONE connection written from outside its read (as a tunnel writes what its TCP side read) reach the
 * socket in one flush per event loop turn, not one per stream, and every stream's bytes still arrive.
 */
@Timeout(30)
class WriteBatchingTest {

    private static final int STREAMS = 20;

    /** Answers each DATA frame upper-cased and gives its window back. */
    private static HboneConnector shouting() {
        return request -> CompletableFuture.completedFuture(ConnectDecision.adopted((stream, early) -> {
            early.forEach(ReferenceCountUtil::release);
            stream.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    if (msg instanceof Http2DataFrame data) {
                        String text = data.content().toString(StandardCharsets.US_ASCII);
                        int window = data.initialFlowControlledBytes();
                        data.release();
                        ctx.write(new DefaultHttp2DataFrame(
                                ByteBufUtil.writeAscii(ctx.alloc(), text.toUpperCase(Locale.ROOT))));
                        ctx.write(new DefaultHttp2WindowUpdateFrame(window));
                        ctx.flush();
                    } else {
                        ReferenceCountUtil.release(msg);
                    }
                }
            });
            stream.config().setAutoRead(true);
        }));
    }

    /** Counts the flushes that reach the head of a connection's pipeline, that is the socket writes asked for. */
    private static final class FlushCounter extends ChannelOutboundHandlerAdapter {
        final AtomicInteger flushes = new AtomicInteger();

        @Override
        public void flush(ChannelHandlerContext ctx) {
            flushes.incrementAndGet();
            ctx.flush();
        }
    }

    /** Collects what a stream reads and returns the window of each frame. */
    private static final class Answers extends ChannelInboundHandlerAdapter {
        final StringBuilder text = new StringBuilder();
        final CompletableFuture<String> complete = new CompletableFuture<>();
        final int expected;

        Answers(int expected) {
            this.expected = expected;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2DataFrame data) {
                text.append(data.content().toString(StandardCharsets.US_ASCII));
                ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(data.initialFlowControlledBytes()));
                if (text.length() >= expected) {
                    complete.complete(text.toString());
                }
            }
            ReferenceCountUtil.release(msg);
        }
    }

    @Test
    void writesOfManyStreamsInOneTurnLeaveInOneFlushAndAllArrive() throws Exception {
        try (var bed = HboneTestBed.builder(true).connector(shouting()).start()) {
            List<HboneStream> streams = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                streams.add(bed.client
                        .connect(bed.request(new InetSocketAddress("198.19.0.30", 7000 + i)))
                        .get(10, TimeUnit.SECONDS));
            }
            Channel connection = streams.getFirst().channel().parent();
            assertThat(streams).allSatisfy(s -> assertThat(s.channel().parent()).isSameAs(connection));
            assertThat(connection.pipeline().names()).containsSubsequence("tls", WriteBatching.HANDLER_NAME, "h2");

            List<Answers> answers = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                answers.add(new Answers(("stream " + i).length()));
            }
            FlushCounter counter = new FlushCounter();
            CompletableFuture<Integer> flushesOfTheTurn = new CompletableFuture<>();
            connection.eventLoop().execute(() -> {
                connection.pipeline().addFirst(counter);
                for (int i = 0; i < STREAMS; i++) {
                    Channel stream = streams.get(i).channel();
                    streams.get(i).takeOver().forEach(ReferenceCountUtil::release);
                    stream.pipeline().addLast(answers.get(i));
                    stream.config().setAutoRead(true);
                }
                int before = counter.flushes.get();
                for (int i = 0; i < STREAMS; i++) {
                    Channel stream = streams.get(i).channel();
                    stream.writeAndFlush(
                            new DefaultHttp2DataFrame(ByteBufUtil.writeAscii(stream.alloc(), "stream " + i)));
                }
                // Runs after the batched flush the writes above scheduled, before anything they caused is read.
                connection.eventLoop().execute(() -> flushesOfTheTurn.complete(counter.flushes.get() - before));
            });

            assertThat(flushesOfTheTurn.get(10, TimeUnit.SECONDS))
                    .as("socket flushes for %d streams written in one event loop turn", STREAMS)
                    .isEqualTo(1);
            for (int i = 0; i < STREAMS; i++) {
                assertThat(answers.get(i).complete.get(10, TimeUnit.SECONDS)).isEqualTo("STREAM " + i);
            }
        }
    }
}
