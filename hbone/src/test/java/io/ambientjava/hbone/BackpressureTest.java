package io.ambientjava.hbone;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.hbone.testsupport.BlockingTcpServer;
import io.ambientjava.hbone.testsupport.HboneTestBed;
import io.ambientjava.hbone.testsupport.MemoryWatcher;
import io.ambientjava.hbone.testsupport.Payload;
import io.ambientjava.hbone.testsupport.Sockets;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A fast writer and a slow reader at the two ends of a tunnel: flow control and writability must hold the writer
 * back instead of buffering in the proxies. Each direction is checked.
 */
class BackpressureTest {

    private static final long MIB = 1024 * 1024;
    private static final long RATE = 4 * MIB; // bytes per second the slow reader takes
    private static final long LIMIT = 16 * MIB; // allowed heap growth
    // Direct memory is pooled in chunks of up to a few MiB, so its growth is coarser than what is in flight
    // (one 4 MiB stream window plus the write buffers on the way).
    private static final long DIRECT_LIMIT = 24 * MIB;

    @BeforeAll
    static void warmUp() throws Exception {
        // Let allocators and JIT settle so that the baseline is not taken on a cold JVM.
        try (var bed = HboneTestBed.tls();
                var target = BlockingTcpServer.echo()) {
            TunnelTransferTest.echo(bed.outbound(target.address()).address(), 16 * MIB, 1);
        }
    }

    @Test
    @Timeout(90)
    void slowTargetHoldsBackTheClient() throws Exception {
        long total = 64 * MIB;
        var readDone = new CompletableFuture<Payload.Digest>();
        try (var bed = HboneTestBed.tls();
                var target = new BlockingTcpServer(s -> readDone.complete(readThrottled(s.getInputStream())));
                var outbound = bed.outbound(target.address());
                var socket = Sockets.connect(outbound.address())) {
            Payload.Digest sent;
            long writeSeconds;
            MemoryWatcher.Growth growth;
            try (var watcher = new MemoryWatcher(Duration.ofMillis(500))) {
                long start = System.nanoTime();
                sent = Payload.write(socket.getOutputStream(), total, 11, 64 * 1024);
                writeSeconds = (System.nanoTime() - start) / 1_000_000_000L;
                socket.shutdownOutput();
                assertThat(readDone.get(60, TimeUnit.SECONDS)).isEqualTo(sent);
                growth = watcher.growth();
            }
            report("client -> slow target", total, writeSeconds, growth);
            assertHeldBack(total, writeSeconds, growth);
        }
    }

    @Test
    @Timeout(90)
    void slowClientHoldsBackTheTarget() throws Exception {
        long total = 32 * MIB;
        var written = new CompletableFuture<Payload.Digest>();
        var writeSeconds = new CompletableFuture<Long>();
        try (var bed = HboneTestBed.tls();
                var target = new BlockingTcpServer(s -> {
                    long start = System.nanoTime();
                    written.complete(Payload.write(s.getOutputStream(), total, 12, 64 * 1024));
                    writeSeconds.complete((System.nanoTime() - start) / 1_000_000_000L);
                    s.shutdownOutput();
                    s.getInputStream().read(); // wait for the client's FIN
                });
                var outbound = bed.outbound(target.address());
                var socket = Sockets.connect(outbound.address())) {
            MemoryWatcher.Growth growth;
            try (var watcher = new MemoryWatcher(Duration.ofMillis(500))) {
                Payload.Digest received = readThrottled(socket.getInputStream());
                socket.shutdownOutput();
                assertThat(received).isEqualTo(written.get(5, TimeUnit.SECONDS));
                growth = watcher.growth();
            }
            report("target -> slow client", total, writeSeconds.get(), growth);
            assertHeldBack(total, writeSeconds.get(), growth);
        }
    }

    /** The writer could only finish about when the reader had taken all but the buffers' worth. */
    private static void assertHeldBack(long total, long writeSeconds, MemoryWatcher.Growth growth) {
        long unbufferedSeconds = (total - LIMIT) / RATE;
        assertThat(writeSeconds)
                .as("writer was held back by the slow reader")
                .isGreaterThanOrEqualTo(unbufferedSeconds);
        assertThat(growth.samples()).isGreaterThan(3);
        assertThat(growth.heap()).as("heap growth").isLessThanOrEqualTo(LIMIT);
        assertThat(growth.direct()).as("direct memory growth").isLessThanOrEqualTo(DIRECT_LIMIT);
    }

    private static void report(String what, long total, long writeSeconds, MemoryWatcher.Growth growth) {
        System.out.printf(
                "backpressure %s: %d MiB, writer done after %d s, max heap growth %.1f MiB, max direct growth %.1f MiB"
                        + " (%d samples)%n",
                what,
                total / MIB,
                writeSeconds,
                growth.heap() / (double) MIB,
                growth.direct() / (double) MIB,
                growth.samples());
    }

    /** Reads to EOF at about {@link #RATE} bytes per second. */
    private static Payload.Digest readThrottled(InputStream in) throws IOException {
        byte[] buf = new byte[64 * 1024];
        CRC32 crc = new CRC32();
        long total = 0;
        long start = System.nanoTime();
        int n;
        while ((n = in.read(buf)) >= 0) {
            crc.update(buf, 0, n);
            total += n;
            long dueNanos = total * 1_000_000_000L / RATE;
            long aheadNanos = dueNanos - (System.nanoTime() - start);
            if (aheadNanos > 0) {
                try {
                    Thread.sleep(Duration.ofNanos(aheadNanos));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        }
        return new Payload.Digest(total, crc.getValue());
    }
}
