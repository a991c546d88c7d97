package io.ambientjava.waypoint.config;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Envoy's route {@code RetryPolicy}.
 *
 * @param retryOn conditions, as Envoy spells them ({@code 5xx}, {@code gateway-error}, {@code connect-failure},
 *     {@code reset}, {@code retriable-4xx}, {@code retriable-status-codes})
 * @param perTryTimeout empty: each try may use what is left of the route timeout
 * @param baseInterval backoff base (Envoy: 25 ms); the n-th retry waits a random time up to
 *     {@code min(base * 2^n, max)}
 */
public record RetryPolicy(
        Set<String> retryOn,
        int numRetries,
        Optional<Duration> perTryTimeout,
        Duration baseInterval,
        Duration maxInterval,
        Set<Integer> retriableStatusCodes) {

    /**
     * Envoy's gRPC retry conditions ({@code x-envoy-retry-grpc-on}) and the {@code grpc-status} each stands for;
     * Istio's default retry policy names {@code cancelled} and {@code unavailable} besides the HTTP ones.
     */
    public static final Map<String, Integer> GRPC_CONDITIONS = Map.of(
            "cancelled", 1,
            "deadline-exceeded", 4,
            "resource-exhausted", 8,
            "internal", 13,
            "unavailable", 14);

    public static final Set<String> SUPPORTED_CONDITIONS = Stream.concat(
                    Stream.of(
                            "5xx",
                            "gateway-error",
                            "connect-failure",
                            "reset",
                            "retriable-4xx",
                            "retriable-status-codes",
                            "refused-stream"),
                    GRPC_CONDITIONS.keySet().stream())
            .collect(Collectors.toUnmodifiableSet());

    public RetryPolicy {
        retryOn = Set.copyOf(retryOn);
        retriableStatusCodes = Set.copyOf(retriableStatusCodes);
    }

    /** Whether a response with {@code status} calls for another try. */
    public boolean retriesStatus(int status) {
        return (retryOn.contains("5xx") && status >= 500)
                || (retryOn.contains("gateway-error") && (status == 502 || status == 503 || status == 504))
                || (retryOn.contains("retriable-4xx") && status == 409)
                || (retryOn.contains("retriable-status-codes") && retriableStatusCodes.contains(status));
    }

    /**
     * Whether a gRPC answer whose headers carry {@code grpc-status} (a trailers-only response, the only gRPC
     * failure seen before the body starts) calls for another try.
     */
    public boolean retriesGrpcStatus(int grpcStatus) {
        return GRPC_CONDITIONS.entrySet().stream()
                .anyMatch(c -> c.getValue() == grpcStatus && retryOn.contains(c.getKey()));
    }

    /** Whether a failure to connect (or a refused stream) calls for another try. */
    public boolean retriesConnectFailure() {
        return retryOn.contains("connect-failure")
                || retryOn.contains("5xx")
                || retryOn.contains("gateway-error")
                || retryOn.contains("refused-stream");
    }

    /** Whether a reset or timeout of the upstream before a response calls for another try. */
    public boolean retriesReset() {
        return retryOn.contains("reset") || retryOn.contains("5xx") || retryOn.contains("gateway-error");
    }
}
