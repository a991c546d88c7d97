package io.ambientjava.perf.bench;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything one benchmark run is told.
 *
 * @param variants paths to measure, in order
 * @param warmup time each case runs before measuring starts
 * @param duration longest measured time of each case
 * @param maxBytes a throughput case also stops once this many bytes arrived
 * @param streams concurrent streams of the multi-stream throughput case (the other case uses one)
 * @param chunkSize bytes per write of the bulk sender
 * @param rates request rates (per second) of the latency cases
 * @param latencyConnections connections the latency load is spread over
 * @param messageSize request (and answer) size of the latency cases
 * @param loadThreads event loop threads of the load generator (the server gets as many)
 * @param tunnelThreads event loop threads of each side (entry, exit) of the tunnel
 * @param tunnelJvmOptions JVM options of the tunnel child process
 */
public record BenchmarkOptions(
        List<Variant> variants,
        Duration warmup,
        Duration duration,
        long maxBytes,
        int streams,
        int chunkSize,
        List<Integer> rates,
        int latencyConnections,
        int messageSize,
        int loadThreads,
        int tunnelThreads,
        List<String> tunnelJvmOptions) {

    /** The same cases with the variants run in {@code order}. */
    public BenchmarkOptions withVariants(List<Variant> order) {
        return new BenchmarkOptions(
                order,
                warmup,
                duration,
                maxBytes,
                streams,
                chunkSize,
                rates,
                latencyConnections,
                messageSize,
                loadThreads,
                tunnelThreads,
                tunnelJvmOptions);
    }

    public static final List<String> DEFAULT_TUNNEL_JVM_OPTIONS = List.of(
            "-Xms64m",
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dio.netty.leakDetection.level=disabled",
            "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow");

    public BenchmarkOptions {
        variants = List.copyOf(variants);
        rates = List.copyOf(rates);
        tunnelJvmOptions = List.copyOf(tunnelJvmOptions);
        Objects.requireNonNull(warmup, "warmup");
        Objects.requireNonNull(duration, "duration");
        if (variants.isEmpty()) {
            throw new IllegalArgumentException("no variant to measure");
        }
        if (warmup.isNegative()) {
            throw new IllegalArgumentException("warm-up must not be negative: " + warmup);
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("duration must be positive: " + duration);
        }
        requirePositive("max bytes", maxBytes);
        requirePositive("streams", streams);
        requirePositive("chunk size", chunkSize);
        requirePositive("latency connections", latencyConnections);
        requirePositive("message size", messageSize);
        requirePositive("load threads", loadThreads);
        requirePositive("tunnel threads", tunnelThreads);
        for (int rate : rates) {
            requirePositive("request rate", rate);
        }
    }

    /**
     * The full run: 5 s warm-up, 10 s or 2 GiB per case, 64 streams, 1,000 and 10,000 requests/s. (With 2 s the
     * tunnel's C2 compiler threads still took 13 % (TLS) and 31 % (HBONE) of its CPU in the single-stream window;
     * with 5 s, 0.4 % and 5 %.)
     */
    public static BenchmarkOptions defaults() {
        return new BenchmarkOptions(
                List.of(Variant.values()),
                Duration.ofSeconds(5),
                Duration.ofSeconds(10),
                2L << 30,
                64,
                64 * 1024,
                List.of(1_000, 10_000),
                16,
                1024,
                1,
                1,
                DEFAULT_TUNNEL_JVM_OPTIONS);
    }

    /** A smoke run of a few seconds per case; the figures are rough. */
    public BenchmarkOptions quick() {
        return new BenchmarkOptions(
                variants,
                Duration.ofMillis(500),
                Duration.ofSeconds(2),
                Math.min(maxBytes, 512L << 20),
                streams,
                chunkSize,
                rates,
                latencyConnections,
                messageSize,
                loadThreads,
                tunnelThreads,
                tunnelJvmOptions);
    }

    private static void requirePositive(String what, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + value);
        }
    }
}
