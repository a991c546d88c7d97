package io.ambientjava.waypoint.telemetry;

import io.ambientjava.waypoint.config.StatsConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Istio's standard HTTP metrics, as Envoy's stats filter exports them, with {@code reporter="waypoint"}:
 * {@code istio_requests_total}, {@code istio_request_duration_milliseconds}, {@code istio_request_bytes},
 * {@code istio_response_bytes}, labelled by {@link RequestLabels}. After the first request of a label set each
 * request is a map lookup and atomic updates. With the {@code istio.stats} filter's overrides
 * ({@link StatsConfig}) a metric can be dropped, and tags removed or added (from expressions on the request); a
 * metric whose tag names change has its old series removed, because Prometheus wants one label set per name.
 */
public final class IstioRequestMetrics implements RequestObserver {

    /** Istio's default duration buckets (ms). */
    static final double[] DURATION_BUCKETS = {
        0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000
    };
    /** Istio's default size buckets (bytes). */
    static final double[] SIZE_BUCKETS = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

    /** The stats filter's metric names → ours in Micrometer's naming. */
    static final Map<String, String> METER_NAMES = Map.of(
            "requests_total", "istio.requests",
            "request_duration_milliseconds", "istio.request.duration.milliseconds",
            "request_bytes", "istio.request.bytes",
            "response_bytes", "istio.response.bytes");

    private final MeterRegistry registry;
    private final Map<RequestLabels, Meters> meters = new ConcurrentHashMap<>();
    private final PeerLabelCache peers = new PeerLabelCache();
    private final Map<SeriesKey, Meter> series = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> tagKeys = new ConcurrentHashMap<>();
    /** Every metric has the standard tag names (the fast path may run). */
    private volatile boolean standardShape;

    private record Meters(
            Counter requests,
            DistributionSummary duration,
            DistributionSummary requestBytes,
            DistributionSummary responseBytes) {}

    private record SeriesKey(String metric, Tags tags) {}

    public IstioRequestMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    @Override
    public void onRequest(RequestRecord record) {
        record(RequestAttributes.of(record), StatsConfig.DEFAULT);
    }

    /** Records one request under the overrides of its listener's stats filter. */
    public void record(RequestAttributes request, StatsConfig stats) {
        RequestLabels labels = RequestLabels.of(request.record(), peers);
        if (stats.metrics().isEmpty()) {
            if (!standardShape) {
                Set<String> keys = new TreeSet<>();
                labels.tags().forEach(t -> keys.add(t.getKey()));
                METER_NAMES.keySet().forEach(metric -> forget(metric, keys));
                standardShape = true;
            }
            Meters m = meters.computeIfAbsent(labels, this::register);
            m.requests().increment();
            m.duration().record(request.record().durationMillis());
            m.requestBytes().record(request.record().requestBytes());
            m.responseBytes().record(request.record().responseBytes());
            return;
        }
        Tags base = labels.tags();
        RequestRecord r = request.record();
        counter("requests_total", base, request, stats);
        summary("request_duration_milliseconds", base, request, stats, r.durationMillis());
        summary("request_bytes", base, request, stats, r.requestBytes());
        summary("response_bytes", base, request, stats, r.responseBytes());
    }

    private void counter(String metric, Tags base, RequestAttributes request, StatsConfig stats) {
        Tags tags = effectiveTags(metric, base, request, stats);
        if (tags != null) {
            ((Counter) series.computeIfAbsent(
                            new SeriesKey(metric, tags),
                            k -> Counter.builder(METER_NAMES.get(metric))
                                    .description("Requests handled by the waypoint")
                                    .tags(k.tags())
                                    .register(registry)))
                    .increment();
        }
    }

    private void summary(String metric, Tags base, RequestAttributes request, StatsConfig stats, double value) {
        Tags tags = effectiveTags(metric, base, request, stats);
        if (tags != null) {
            ((DistributionSummary) series.computeIfAbsent(
                            new SeriesKey(metric, tags),
                            k -> summary(
                                    METER_NAMES.get(metric),
                                    metric,
                                    metric.equals("request_duration_milliseconds") ? DURATION_BUCKETS : SIZE_BUCKETS,
                                    k.tags())))
                    .record(value);
        }
    }

    /** The tags of {@code metric} for this request, or null when the metric is dropped. */
    private Tags effectiveTags(String metric, Tags base, RequestAttributes request, StatsConfig stats) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (Tag t : base) {
            tags.put(t.getKey(), t.getValue());
        }
        boolean drop = false;
        for (StatsConfig.MetricOverride o : stats.metrics()) {
            if (!o.appliesTo(metric)) {
                continue;
            }
            drop = o.drop();
            o.tagsToRemove().forEach(tags::remove);
            o.dimensions().forEach((tag, expr) -> tags.put(tag, expr.evaluateToString(request)));
        }
        if (drop) {
            forget(metric, Set.of());
            return null;
        }
        forget(metric, tags.keySet());
        List<Tag> list = new ArrayList<>(tags.size());
        tags.forEach((k, v) -> list.add(Tag.of(k, v)));
        return Tags.of(list);
    }

    /** When the tag names of a metric change (or it is dropped), its existing series go away. */
    private void forget(String metric, Set<String> keys) {
        Set<String> sorted = new TreeSet<>(keys);
        Set<String> previous = tagKeys.get(metric);
        if (sorted.equals(previous)) {
            return;
        }
        synchronized (this) {
            if (sorted.equals(tagKeys.get(metric))) {
                return;
            }
            String name = METER_NAMES.get(metric);
            for (Meter m : new ArrayList<>(registry.find(name).meters())) {
                registry.remove(m);
            }
            series.keySet().removeIf(k -> k.metric().equals(metric));
            meters.clear(); // the fast path's meters are gone from the registry too
            tagKeys.put(metric, keys.isEmpty() ? Set.of() : new HashSet<>(sorted));
            standardShape = false;
        }
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
