package io.ambientjava.hbone.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.hbone.server.ConnectDecision;
import io.ambientjava.hbone.server.HboneConnector;
import io.ambientjava.hbone.testsupport.HboneTestBed;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Frame;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client that reads a stream with its own pipeline takes it over: it gets whatever the peer sent right after its
 * 200 (a server that speaks first) and then reads the rest itself, nothing lost or doubled.
 */
@Timeout(30)
class TakeOverTest {

    private static final String GREETING = "220 ready\r\n";

    /** Speaks first: writes its greeting the moment it has the stream, before the client sends anything. */
    private static HboneConnector greeting() {
        return request -> CompletableFuture.completedFuture(ConnectDecision.adopted((stream, early) -> {
            early.forEach(ReferenceCountUtil::release);
            stream.writeAndFlush(new DefaultHttp2DataFrame(ByteBufUtil.writeAscii(stream.alloc(), GREETING)));
        }));
    }

    @Test
    void theGreetingReachesTheNewReaderWhetherItCameWithThe200OrAfter() throws Exception {
        try (var bed = HboneTestBed.builder(false).connector(greeting()).start()) {
            for (int i = 0; i < 20; i++) {
                HboneStream stream = bed.client
                        .connect(bed.request(new InetSocketAddress("198.19.0.25", 25)))
                        .get(5, TimeUnit.SECONDS);
                CompletableFuture<String> read = new CompletableFuture<>();
                Channel ch = stream.channel();
                ch.eventLoop().execute(() -> {
                    StringBuilder text = new StringBuilder();
                    List<Http2Frame> early = stream.takeOver();
                    ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            if (msg instanceof Http2DataFrame data) {
                                text.append(data.content().toString(StandardCharsets.US_ASCII));
                                if (text.length() >= GREETING.length()) {
                                    read.complete(text.toString());
                                }
                            }
                            ReferenceCountUtil.release(msg);
                        }
                    });
                    early.forEach(ch.pipeline()::fireChannelRead);
                    ch.config().setAutoRead(true);
                });
                assertThat(read.get(5, TimeUnit.SECONDS)).as("round " + i).isEqualTo(GREETING);
                stream.reset();
            }
        }
    }

    @Test
    void aStreamIsTakenOverOrSplicedOnceOnly() throws Exception {
        try (var bed = HboneTestBed.builder(false).connector(greeting()).start()) {
            HboneStream stream = bed.client
                    .connect(bed.request(new InetSocketAddress("198.19.0.25", 25)))
                    .get(5, TimeUnit.SECONDS);
            CompletableFuture<List<Http2Frame>> first = new CompletableFuture<>();
            stream.channel().eventLoop().execute(() -> first.complete(stream.takeOver()));
            first.get(5, TimeUnit.SECONDS).forEach(ReferenceCountUtil::release);
            CompletableFuture<Throwable> second = new CompletableFuture<>();
            stream.channel().eventLoop().execute(() -> {
                try {
                    stream.takeOver();
                    second.complete(null);
                } catch (IllegalStateException e) {
                    second.complete(e);
                }
            });
            assertThat(second.get(5, TimeUnit.SECONDS))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already spliced or taken over");
            assertThatThrownBy(() -> stream.spliceTo(new io.netty.channel.embedded.EmbeddedChannel()))
                    .isInstanceOf(IllegalStateException.class);
            stream.reset();
        }
    }
}
