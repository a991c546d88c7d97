package io.ambientjava.perf.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The HBONE frame forwarding hot path, without sockets or TLS: one DATA frame through the hbone server's
 * HTTP/2 codec, stream multiplexer and tunnel handlers to the upstream channel (and the window returned), or
 * one upstream buffer out as a DATA frame. Run with {@code -prof gc}: {@code gc.alloc.rate.norm} is the bytes
 * allocated per forwarded frame in steady state. {@code relayOnly} is what the embedded channels themselves cost
 * per message (the same hand-off with a plain relay handler instead of HTTP/2 and the tunnel), to subtract.
 * The benchmark threads are Netty {@code FastThreadLocalThread}s (see {@link FastThreadLocalExecutor}) so that
 * Netty's object pools behave as on an event loop.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "-Xmx512m",
            "-Dio.netty.leakDetection.level=disabled",
            "-Djmh.executor=CUSTOM",
            "-Djmh.executor.class=io.ambientjava.perf.jmh.FastThreadLocalExecutor",
            "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow"
        })
public class HboneForwardingBenchmark {

    @Param({"1024", "16384"})
    public int payloadSize;

    private HboneStreamHarness harness;
    private EmbeddedRelay relay;

    @Setup(Level.Trial)
    public void open() {
        harness = HboneStreamHarness.open(payloadSize);
        relay = new EmbeddedRelay(payloadSize + Http2Frames.HEADER_LENGTH);
    }

    @TearDown(Level.Trial)
    public void close() {
        harness.close();
        relay.close();
    }

    @Benchmark
    public long streamToUpstream() {
        return harness.streamToUpstream();
    }

    @Benchmark
    public long upstreamToStream() {
        return harness.upstreamToStream();
    }

    /** The same message hand-off between two embedded channels with nothing in between: the apparatus alone. */
    @Benchmark
    public long relayOnly() {
        return relay.forwardOne();
    }
}
