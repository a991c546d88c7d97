package io.ambientjava.waypoint.bytestream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2WindowUpdateFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The adapter on an embedded channel standing in for an HBONE stream: frames on one side, bytes on the other. */
class StreamBytesAdapterTest {

    private final List<Object> events = new ArrayList<>();

    private EmbeddedChannel stream(StreamBytesAdapter adapter) {
        return new EmbeddedChannel(adapter, new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                events.add(evt);
            }
        });
    }

    private static DefaultHttp2DataFrame data(String text, boolean end) {
        return new DefaultHttp2DataFrame(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII), end);
    }

    @Test
    void bytesOutBecomeDataFramesAndDataInBecomesBytesWithItsWindowReturned() {
        EmbeddedChannel ch = stream(StreamBytesAdapter.closingAtOnce());
        ch.writeOutbound(Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII));
        Http2DataFrame out = ch.readOutbound();
        assertThat(out.content().toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
        assertThat(out.isEndStream()).isFalse();
        out.release();

        ch.writeInbound(data("world", false));
        ByteBuf in = ch.readInbound();
        assertThat(in.toString(StandardCharsets.US_ASCII)).isEqualTo("world");
        in.release();
        Http2WindowUpdateFrame window = ch.readOutbound();
        assertThat(window.windowSizeIncrement()).isEqualTo(5);
        ch.finishAndReleaseAll();
    }

    @Test
    void framesHeldFromBeforeTheAdapterWasInPlaceComeFirstOnceReadingStarts() {
        DefaultHttp2DataFrame settings = data("early", false);
        EmbeddedChannel ch = stream(StreamBytesAdapter.closingAtOnce().holding(List.of(settings)));
        ch.config().setAutoRead(false);
        assertThat((Object) ch.readInbound())
                .as("nothing before reading starts")
                .isNull();

        StreamBytesAdapter.startReading(ch);
        ch.writeInbound(data("later", false));
        ByteBuf first = ch.readInbound();
        ByteBuf second = ch.readInbound();
        assertThat(first.toString(StandardCharsets.US_ASCII)).isEqualTo("early");
        assertThat(second.toString(StandardCharsets.US_ASCII)).isEqualTo("later");
        first.release();
        second.release();
        assertThat(ch.config().isAutoRead()).isTrue();
        Http2WindowUpdateFrame window = ch.readOutbound();
        assertThat(window.windowSizeIncrement())
                .as("the held frame's window is returned too")
                .isEqualTo(5);
        ch.finishAndReleaseAll();
    }

    @Test
    void heldFramesAreReleasedWhenTheStreamClosesBeforeReadingStarts() {
        DefaultHttp2DataFrame early = data("early", false);
        EmbeddedChannel ch = stream(StreamBytesAdapter.closingAtOnce().holding(List.of(early)));
        ch.close();
        assertThat(early.refCnt()).isZero();
        ch.finishAndReleaseAll();
    }

    @Test
    void anEndpointStreamClosesAtOnceAndThePeersEndClosesIt() {
        EmbeddedChannel ch = stream(StreamBytesAdapter.closingAtOnce());
        ch.writeInbound(data("", true));
        assertThat(ch.isOpen()).isFalse();

        EmbeddedChannel other = stream(StreamBytesAdapter.closingAtOnce());
        other.close();
        assertThat(other.isOpen()).isFalse();
        assertThat((Object) other.readOutbound()).isNull(); // no END_STREAM: an abort resets
    }

    @Test
    void withHalfCloseThePeersEndIsAnInputShutdownAndTheStreamStaysOpen() {
        EmbeddedChannel ch = stream(StreamBytesAdapter.closingAtOnce());
        ch.attr(StreamBytesAdapter.HALF_CLOSE).set(true);
        ch.writeInbound(data("last", true));
        ByteBuf in = ch.readInbound();
        assertThat(in.toString(StandardCharsets.US_ASCII)).isEqualTo("last");
        in.release();
        assertThat(events).containsExactly(ChannelInputShutdownEvent.INSTANCE);
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void aClientTunnelClosesWithEndStreamAndWaitsForTheClientsEnd() {
        EmbeddedChannel ch = stream(StreamBytesAdapter.lingeringOnClose(Duration.ofSeconds(10)));
        ChannelFuture closed = ch.pipeline().close();
        Http2DataFrame end = ch.readOutbound();
        assertThat(end.isEndStream()).isTrue();
        end.release();
        assertThat(ch.isOpen()).isTrue();
        assertThat(closed.isDone()).isFalse();

        ch.writeInbound(data("dropped: the app closed", false)); // what the client still sends is not handed on
        assertThat((Object) ch.readInbound()).isNull();
        Http2WindowUpdateFrame window = ch.readOutbound(); // but its window is returned, so it is not stuck
        assertThat(window.windowSizeIncrement()).isEqualTo("dropped: the app closed".length());

        ch.writeInbound(data("", true));
        assertThat(ch.isOpen()).isFalse();
        assertThat(closed.isSuccess()).isTrue();
    }

    @Test
    void aClientThatNeverEndsIsClosedAfterTheLinger() {
        EmbeddedChannel ch = stream(StreamBytesAdapter.lingeringOnClose(Duration.ofSeconds(10)));
        ch.pipeline().close(); // (EmbeddedChannel.close() would cancel every scheduled task, the linger too)
        ((Http2DataFrame) ch.readOutbound()).release();
        ch.advanceTimeBy(9, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isTrue();
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void closingAfterBothEndsClosesAtOnceAndBytesAfterTheEndAreRefused() {
        EmbeddedChannel ch = stream(StreamBytesAdapter.lingeringOnClose(Duration.ofSeconds(10)));
        ch.attr(StreamBytesAdapter.HALF_CLOSE).set(true);
        ch.writeInbound(data("", true));
        ch.writeOutbound(new DefaultHttp2DataFrame(true));
        ((Http2DataFrame) ch.readOutbound()).release();

        ChannelFuture late = ch.writeAndFlush(Unpooled.copiedBuffer("late", StandardCharsets.US_ASCII));
        assertThat(late.cause()).hasMessage("this side of the stream has ended");

        ch.close();
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aNonPositiveLingerIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StreamBytesAdapter.lingeringOnClose(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("linger must be positive");
    }
}
