package io.ambientjava.perf.mesh;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One run of the mesh benchmark.
 *
 * @param warmup unmeasured lead-in of every case
 * @param duration measured time of every case (each throughput case and the latency case)
 * @param rate requests per second of the latency case (Istio's benchmark uses 1,000)
 * @param connections connections of the latency case
 * @param messageSize request (and echo) size of the latency case
 * @param streams connections of the multi-stream throughput case
 * @param sameNode both pods on one node (one ztunnel carries both ends) instead of one pod on each of two nodes
 * @param redirects redirection modes the ztunnel variant runs with, each a column of its own
 * @param enrollment enrollment figures per redirection mode; empty = not measured
 */
public record MeshOptions(
        List<MeshVariant> variants,
        Duration warmup,
        Duration duration,
        int rate,
        int connections,
        int messageSize,
        int streams,
        Path ztunnelJar,
        List<String> ztunnelJvmOptions,
        String stunnelBinary,
        boolean sameNode,
        List<MeshRedirect> redirects,
        Optional<EnrollmentPlan> enrollment) {

    public static final int DEFAULT_RATE = 1_000;
    public static final int DEFAULT_CONNECTIONS = 16;
    public static final int DEFAULT_MESSAGE_SIZE = 1024;
    public static final int DEFAULT_STREAMS = 16;

    public MeshOptions {
        Objects.requireNonNull(ztunnelJar, "ztunnelJar");
        Objects.requireNonNull(stunnelBinary, "stunnelBinary");
        variants = List.copyOf(variants);
        redirects = List.copyOf(redirects);
        Objects.requireNonNull(enrollment, "enrollment");
        if (redirects.isEmpty() || redirects.stream().distinct().count() != redirects.size()) {
            throw new IllegalArgumentException("redirect modes must be one or more, none repeated: " + redirects);
        }
        ztunnelJvmOptions = List.copyOf(ztunnelJvmOptions);
        if (variants.isEmpty()) {
            throw new IllegalArgumentException("the mesh benchmark needs at least one variant");
        }
        if (variants.stream().distinct().count() != variants.size()) {
            throw new IllegalArgumentException("variants must not repeat: " + variants);
        }
        if (warmup.isNegative()) {
            throw new IllegalArgumentException("warm-up must not be negative, was " + warmup);
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("duration must be positive, was " + duration);
        }
        if (rate <= 0 || connections <= 0 || messageSize <= 0 || streams <= 0) {
            throw new IllegalArgumentException("rate, connections, message size and streams must be positive: rate="
                    + rate + ", connections=" + connections + ", messageSize=" + messageSize + ", streams="
                    + streams);
        }
    }
}
