package io.ambientjava.perf.jmh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.Test;

/** The microbenchmark's harness must really forward frames, both ways, for as long as JMH loops. */
class HboneStreamHarnessTest {

    @Test
    void deliversTheDataFramePayloadUpstreamUnchanged() {
        try (HboneStreamHarness harness = HboneStreamHarness.open(1024)) {
            harness.server().writeInbound(Http2Frames.data(harness.streamId(), harness.payload()));
            ByteBuf written = harness.takeUpstreamWrite();
            try {
                assertThat(ByteBufUtil.equals(written, harness.payload())).isTrue();
            } finally {
                written.release();
            }
        }
    }

    @Test
    void keepsForwardingBothWaysLongPastEveryWindow() {
        // 8 MiB each way: twice the 4 MiB stream window, so a window not returned would stall the loop.
        try (HboneStreamHarness harness = HboneStreamHarness.open(16384)) {
            long upstreamBytes = 0;
            long streamBytes = 0;
            for (int i = 0; i < 512; i++) {
                upstreamBytes += harness.streamToUpstream();
                streamBytes += harness.upstreamToStream();
            }
            // Upstream sees the payloads; the client side sees payloads plus frame headers and window updates.
            assertThat(upstreamBytes).isGreaterThanOrEqualTo(512L * 16384);
            assertThat(streamBytes).isGreaterThanOrEqualTo(512L * (16384 + Http2Frames.HEADER_LENGTH));
        }
    }

    @Test
    void refusesPayloadsThatDoNotFitOneFrame() {
        assertThatThrownBy(() -> HboneStreamHarness.open(0)).hasMessageContaining("payload size must be");
        assertThatThrownBy(() -> Http2Frames.windowUpdate(1, 0)).hasMessageContaining("must be positive");
    }
}
