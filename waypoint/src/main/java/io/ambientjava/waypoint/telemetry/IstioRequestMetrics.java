package io.ambientjava.waypoint.telemetry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Istio's standard HTTP metrics, as Envoy's stats filter exports them, with {@code reporter="waypoint"}:
 * {@code istio_requests_total}, {@code istio_request_duration_milliseconds}, {@code istio_request_bytes},
 * {@code istio_response_bytes}, labelled by {@link RequestLabels}. After the first request of a label set each
 * request is a map lookup and atomic updates.
 */
public final class IstioRequestMetrics implements RequestObserver {

    /** Istio's default duration buckets (ms). */
    static final double[] DURATION_BUCKETS = {
        0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000
    };
    /** Istio's default size buckets (bytes). */
    static final double[] SIZE_BUCKETS = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

    private final MeterRegistry registry;
    private final Map<RequestLabels, Meters> meters = new ConcurrentHashMap<>();

    private record Meters(
            Counter requests,
            DistributionSummary duration,
            DistributionSummary requestBytes,
            DistributionSummary responseBytes) {}

    public IstioRequestMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    @Override
    public void onRequest(RequestRecord record) {
        Meters m = meters.computeIfAbsent(RequestLabels.of(record), this::register);
        m.requests().increment();
        m.duration().record(record.durationMillis());
        m.requestBytes().record(record.requestBytes());
        m.responseBytes().record(record.responseBytes());
    }

    private Meters register(RequestLabels labels) {
        Tags tags = labels.tags();
        return new Meters(
                Counter.builder("istio.requests")
                        .description("Requests handled by the waypoint")
                        .tags(tags)
                        .register(registry),
                summary("istio.request.duration.milliseconds", "Request duration", DURATION_BUCKETS, tags),
                summary("istio.request.bytes", "Request body sizes", SIZE_BUCKETS, tags),
                summary("istio.response.bytes", "Response body sizes", SIZE_BUCKETS, tags));
    }

    private DistributionSummary summary(String name, String description, double[] buckets, Tags tags) {
        return DistributionSummary.builder(name)
                .description(description)
                .serviceLevelObjectives(buckets)
                .tags(tags)
                .register(registry);
    }
}
