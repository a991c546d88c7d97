package io.ambientjava.waypoint.telemetry;

import io.ambientjava.waypoint.config.AccessLogConfig;
import io.ambientjava.waypoint.config.HttpTelemetryConfig;
import io.ambientjava.waypoint.config.StatsConfig;
import io.ambientjava.waypoint.filter.RequestView;
import io.ambientjava.waypoint.tracing.RequestTrace;
import io.ambientjava.waypoint.tracing.WaypointTracing;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import java.util.Objects;
import java.util.Optional;

/**
 * The waypoint's telemetry as each listener's HTTP connection manager configures it: Istio's request metrics
 * (with the {@code istio.stats} overrides), access logs (the listener's {@code access_log} entries: format,
 * filter, destination), and tracing (a server span per hop and a client span per upstream attempt, context
 * propagated in the formats the request came with).
 */
public final class WaypointTelemetry implements RequestObserver, AutoCloseable {

    private final IstioRequestMetrics metrics;
    private final AccessLogWriter logs;
    private final WaypointTracing tracing;
    private final RequestObserver also;

    /**
     * @param also told about every finished record too (the waypoint's own {@code access} logger, tests)
     */
    public WaypointTelemetry(
            IstioRequestMetrics metrics, AccessLogWriter logs, WaypointTracing tracing, RequestObserver also) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.logs = Objects.requireNonNull(logs, "logs");
        this.tracing = Objects.requireNonNull(tracing, "tracing");
        this.also = Objects.requireNonNull(also, "also");
    }

    @Override
    public void onRequest(RequestRecord record) {
        metrics.onRequest(record);
        also.onRequest(record);
    }

    @Override
    public RequestTelemetry begin(HttpTelemetryConfig config, RequestView view) {
        return new PerRequest(config, view);
    }

    public AccessLogWriter accessLogs() {
        return logs;
    }

    public WaypointTracing tracing() {
        return tracing;
    }

    @Override
    public void close() {
        tracing.close();
        logs.close();
    }

    private final class PerRequest implements RequestTelemetry {
        private final HttpTelemetryConfig config;
        private final RequestView view;
        private final Optional<RequestTrace> trace;
        private HttpHeaders responseHeaders = EmptyHttpHeaders.INSTANCE;
        private long firstUpstreamNanos = -1;
        private long upstreamServiceMillis = -1;

        PerRequest(HttpTelemetryConfig config, RequestView view) {
            this.config = config;
            this.view = view;
            this.trace = config.tracing()
                    .map(t -> tracing.start(
                            t,
                            view.headers(),
                            view.authority() + view.path(),
                            Attributes.of(
                                    AttributeKey.stringKey("http.method"), view.method(),
                                    AttributeKey.stringKey("http.url"),
                                            view.scheme() + "://" + view.authority() + view.pathAndQuery(),
                                    AttributeKey.stringKey("guid:x-request-id"),
                                            view.header("x-request-id").orElse(""),
                                    AttributeKey.stringKey("user_agent"),
                                            view.header("user-agent").orElse("-"))));
        }

        @Override
        public void onUpstreamRequest(HttpHeaders headers, String cluster, String upstreamAddress, int attempt) {
            if (firstUpstreamNanos < 0) {
                firstUpstreamNanos = System.nanoTime();
            }
            trace.ifPresent(t -> t.onUpstreamRequest(headers, cluster, upstreamAddress, attempt));
        }

        @Override
        public void onUpstreamResponse(int status, HttpHeaders headers) {
            if (firstUpstreamNanos >= 0) {
                upstreamServiceMillis = (System.nanoTime() - firstUpstreamNanos) / 1_000_000;
            }
            responseHeaders = headers;
            trace.ifPresent(t -> t.onUpstreamResponse(status));
        }

        @Override
        public void finish(RequestRecord record) {
            trace.ifPresent(t -> t.finish(record));
            RequestAttributes attributes = new RequestAttributes(
                    record,
                    view.headers(),
                    responseHeaders,
                    trace.map(RequestTrace::traceId),
                    trace.map(RequestTrace::spanId),
                    upstreamServiceMillis);
            metrics.record(attributes, config.stats().orElse(StatsConfig.DEFAULT));
            for (AccessLogConfig log : config.accessLogs()) {
                if (log.filter().isEmpty() || log.filter().get().test(attributes)) {
                    logs.write(log.path(), log.format().render(attributes));
                }
            }
            also.onRequest(record);
        }
    }
}
