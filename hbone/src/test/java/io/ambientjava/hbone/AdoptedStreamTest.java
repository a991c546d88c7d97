package io.ambientjava.hbone;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.hbone.server.ConnectDecision;
import io.ambientjava.hbone.server.HboneConnector;
import io.ambientjava.hbone.testsupport.HboneTestBed;
import io.ambientjava.hbone.testsupport.RawH2Client;
import io.ambientjava.hbone.testsupport.TestPki;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Frame;
import io.netty.handler.codec.http2.Http2StreamChannelOption;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A connector may serve a CONNECT stream itself: it gets the stream after the 200, with what came early. */
@Timeout(30)
class AdoptedStreamTest {

    /** Upper-cases what it reads back to the client, ends when the client ends, returns window as it goes. */
    private static final class Shouter extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2DataFrame data) {
                String text = data.content().toString(StandardCharsets.US_ASCII);
                int window = data.initialFlowControlledBytes();
                boolean end = data.isEndStream();
                data.release();
                ctx.write(new DefaultHttp2DataFrame(
                        ByteBufUtil.writeAscii(ctx.alloc(), text.toUpperCase(Locale.ROOT)), end));
                if (window > 0) {
                    ctx.write(new DefaultHttp2WindowUpdateFrame(window));
                }
                ctx.flush();
            } else {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    private final List<String> adoptedWith = new CopyOnWriteArrayList<>();

    private HboneConnector adopting() {
        return request -> CompletableFuture.completedFuture(ConnectDecision.adopted((stream, early) -> {
            adoptedWith.add("autoRead=" + stream.config().isAutoRead()
                    + " autoWindow=" + stream.config().getOption(Http2StreamChannelOption.AUTO_STREAM_FLOW_CONTROL)
                    + " early=" + early.size()
                    + " target=" + request.authority());
            stream.pipeline().addLast(new Shouter());
            for (Http2Frame frame : early) {
                stream.pipeline().fireChannelRead(frame);
            }
            stream.config().setAutoRead(true);
        }));
    }

    @Test
    void theAdopterServesTheStreamAfterThe200() throws Exception {
        try (var bed = HboneTestBed.builder(true).connector(adopting()).start();
                var client = RawH2Client.connect(
                        bed.group, bed.serverAddress(), TestPki.mesh().clientContext(TestPki.CLIENT))) {
            client.handshake.get(10, TimeUnit.SECONDS);
            RawH2Client.RawStream stream = client.open(connect("198.19.0.7:8080"), false);
            stream.send("early bytes ", false); // before the 200 can have arrived
            assertThat(stream.awaitHeaders().status()).hasToString("200");
            assertThat(stream.awaitText("EARLY BYTES ".length())).isEqualTo("EARLY BYTES ");
            stream.send("and later", true);
            assertThat(stream.awaitText("AND LATER".length())).isEqualTo("AND LATER");
            assertThat(adoptedWith)
                    .singleElement()
                    .satisfies(s -> assertThat(s)
                            .startsWith("autoRead=false autoWindow=false early=")
                            .endsWith("target=198.19.0.7:8080"));
        }
    }

    @Test
    void anAdopterThatThrowsResetsOnlyItsStream() throws Exception {
        HboneConnector failing = request -> CompletableFuture.completedFuture(ConnectDecision.adopted((s, early) -> {
            throw new IllegalStateException("adopter bug");
        }));
        try (var bed = HboneTestBed.builder(true).connector(failing).start();
                var client = RawH2Client.connect(
                        bed.group, bed.serverAddress(), TestPki.mesh().clientContext(TestPki.CLIENT))) {
            client.handshake.get(10, TimeUnit.SECONDS);
            RawH2Client.RawStream first = client.open(connect("198.19.0.7:8080"), false);
            first.send("lost", false);
            assertThat(first.awaitHeaders().status()).hasToString("200");
            assertThat(first.next()).isEqualTo(new RawH2Client.Reset(Http2Error.CANCEL.code()));
            RawH2Client.RawStream second = client.open(connect("198.19.0.7:8080"), false);
            assertThat(second.awaitHeaders().status()).hasToString("200");
            assertThat(client.channel().isActive()).isTrue();
        }
    }

    private static io.netty.handler.codec.http2.Http2Headers connect(String authority) {
        return new DefaultHttp2Headers().method("CONNECT").authority(authority);
    }
}
