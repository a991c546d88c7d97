package io.ambientjava.perf.l7;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What one {@code l7} run does.
 *
 * @param rate requests per second of the fixed-rate latency case
 * @param connections connections of both the latency case and wrk
 * @param bodyBytes size of each response body
 * @param maxDuration how long wrk drives each variant as hard as it can
 * @param waypointThreads the waypoint's event loop threads ({@code --worker-threads})
 */
public record L7Options(
        List<L7Variant> variants,
        Duration warmup,
        Duration duration,
        Duration maxDuration,
        int rate,
        int connections,
        int bodyBytes,
        Path waypointJar,
        Path ztunnelJar,
        Path istiodJar,
        List<String> waypointJvmOptions,
        List<String> ztunnelJvmOptions,
        String wrk,
        String nginx,
        int waypointThreads) {

    public L7Options {
        variants = List.copyOf(variants);
        if (variants.isEmpty()) {
            throw new IllegalArgumentException("no variant to run");
        }
        if (rate <= 0 || connections <= 0 || bodyBytes < 0) {
            throw new IllegalArgumentException(
                    "rate and connections must be positive and the body size not negative: rate " + rate
                            + ", connections " + connections + ", body " + bodyBytes);
        }
        Objects.requireNonNull(warmup, "warmup");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(maxDuration, "maxDuration");
        waypointJvmOptions = List.copyOf(waypointJvmOptions);
        ztunnelJvmOptions = List.copyOf(ztunnelJvmOptions);
        if (waypointThreads <= 0) {
            throw new IllegalArgumentException("waypoint threads must be positive, was " + waypointThreads);
        }
    }
}
