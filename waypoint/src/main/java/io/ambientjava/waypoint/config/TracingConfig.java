package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Objects;

/**
 * Envoy's {@code HttpConnectionManager.tracing}: the share of new traces sampled, custom span tags, and where
 * spans go.
 *
 * @param randomSamplingPercent 0..100, for requests that arrive without a sampling decision
 */
public record TracingConfig(double randomSamplingPercent, List<CustomTag> customTags, Provider provider) {

    public TracingConfig {
        if (!(randomSamplingPercent >= 0 && randomSamplingPercent <= 100)) {
            throw new IllegalArgumentException("random_sampling must be within 0..100, got " + randomSamplingPercent);
        }
        customTags = List.copyOf(customTags);
        Objects.requireNonNull(provider, "provider");
    }

    /** Where spans are exported; the collector is the first endpoint of {@code cluster}. */
    public sealed interface Provider {
        String cluster();
    }

    /** {@code envoy.tracers.zipkin}: Zipkin v2 JSON POSTed to {@code path} ({@code /api/v2/spans}). */
    public record Zipkin(String cluster, String path, String hostname) implements Provider {}

    /** {@code envoy.tracers.opentelemetry} with {@code http_service}: OTLP over HTTP (protobuf) to {@code path}. */
    public record OpenTelemetry(String cluster, String path, String serviceName) implements Provider {}

    /**
     * {@code envoy.tracers.opentelemetry} with {@code grpc_service}: OTLP over gRPC (plaintext HTTP/2), the
     * {@code opentelemetry.proto.collector.trace.v1.TraceService/Export} call; Istio's provider without an
     * {@code http} block.
     */
    public record OpenTelemetryGrpc(String cluster, String serviceName, java.time.Duration timeout)
            implements Provider {}

    /** A span tag: a literal, an environment variable of the proxy, or a request header. */
    public sealed interface CustomTag {
        String tag();
    }

    public record LiteralTag(String tag, String value) implements CustomTag {}

    public record EnvironmentTag(String tag, String name, String defaultValue) implements CustomTag {}

    public record RequestHeaderTag(String tag, String name, String defaultValue) implements CustomTag {}
}
