package io.ambientjava.waypoint.tracing;

import io.ambientjava.waypoint.config.TracingConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The waypoint's tracers, one OpenTelemetry SDK tracer provider per collector (Zipkin or OTLP), created when a
 * listener first names it. Spans are batched and exported off the event loops. The collector's address is the
 * first endpoint of the provider's cluster, looked up at export time.
 */
public final class WaypointTracing implements AutoCloseable {

    private final String serviceName;
    private final Function<String, Optional<InetSocketAddress>> clusterAddress;
    private final Duration exportDelay;
    private final Map<TracingConfig.Provider, SdkTracerProvider> providers = new ConcurrentHashMap<>();

    /**
     * @param serviceName the local service name of the spans (Envoy's service cluster, e.g. {@code waypoint.default})
     * @param clusterAddress a cluster's first endpoint, from the current config
     * @param exportDelay how long spans wait to be batched (Envoy flushes every 5 s; tests want less)
     */
    public WaypointTracing(
            String serviceName, Function<String, Optional<InetSocketAddress>> clusterAddress, Duration exportDelay) {
        this.serviceName = Objects.requireNonNull(serviceName, "serviceName");
        this.clusterAddress = Objects.requireNonNull(clusterAddress, "clusterAddress");
        this.exportDelay = Objects.requireNonNull(exportDelay, "exportDelay");
    }

    /** Starts the server span of one request (extracting the incoming context); call on the request's thread. */
    public RequestTrace start(
            TracingConfig config, HttpHeaders requestHeaders, String spanName, Attributes attributes) {
        return RequestTrace.start(tracer(config.provider()), config, requestHeaders, spanName, attributes);
    }

    Tracer tracer(TracingConfig.Provider provider) {
        return providers.computeIfAbsent(provider, this::create).get("ambient-waypoint");
    }

    private SdkTracerProvider create(TracingConfig.Provider provider) {
        String configured = switch (provider) {
            case TracingConfig.OpenTelemetry o -> o.serviceName();
            case TracingConfig.OpenTelemetryGrpc o -> o.serviceName();
            case TracingConfig.Zipkin z -> "";
        };
        String service = configured.isEmpty() ? serviceName : configured;
        SpanExporter exporter = switch (provider) {
            case TracingConfig.Zipkin z -> new ZipkinJsonSpanExporter(() -> collector(z.cluster(), z.path()));
            case TracingConfig.OpenTelemetry o -> new OtlpHttpExporter(() -> collector(o.cluster(), o.path()));
            case TracingConfig.OpenTelemetryGrpc o ->
                new OtlpGrpcExporter(() -> clusterAddress.apply(o.cluster()), o.timeout());
        };
        return SdkTracerProvider.builder()
                .setResource(Resource.getDefault()
                        .merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), service))))
                .setSampler(new RequestSampler())
                .addSpanProcessor(BatchSpanProcessor.builder(exporter)
                        .setScheduleDelay(exportDelay)
                        .setMaxQueueSize(8192)
                        .build())
                .build();
    }

    private Optional<URI> collector(String cluster, String path) {
        return clusterAddress
                .apply(cluster)
                .map(a -> URI.create("http://"
                        + (a.getAddress() instanceof java.net.Inet6Address
                                ? "[" + a.getAddress().getHostAddress() + "]"
                                : a.getAddress().getHostAddress())
                        + ":" + a.getPort() + path));
    }

    /** Exports every finished span now (bounded wait). */
    public void flush() {
        providers.values().forEach(p -> p.forceFlush().join(5, TimeUnit.SECONDS));
    }

    @Override
    public void close() {
        providers.values().forEach(p -> p.shutdown().join(5, TimeUnit.SECONDS));
        providers.clear();
    }
}
