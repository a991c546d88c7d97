package io.ambientjava.waypoint.tracing;

import io.ambientjava.waypoint.telemetry.JsonStrings;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports spans to a Zipkin collector as Zipkin v2 JSON ({@code POST /api/v2/spans}) with the JDK HTTP client.
 * OpenTelemetry's own Zipkin exporter was last published for 1.63 (it is deprecated upstream) and would bring
 * OkHttp; this one is the same mapping in one class: kind, parent, microsecond timestamps, attributes as tags,
 * an error status as the {@code error} tag, {@code service.name} as the local endpoint. The collector address is
 * asked for at each export, so a collector whose endpoints change is followed.
 */
final class ZipkinJsonSpanExporter implements SpanExporter {

    private static final Logger log = LoggerFactory.getLogger(ZipkinJsonSpanExporter.class);
    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

    private final Supplier<Optional<URI>> collector;
    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ZipkinJsonSpanExporter(Supplier<Optional<URI>> collector) {
        this.collector = collector;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        Optional<URI> target = collector.get();
        if (target.isEmpty()) {
            log.debug("no Zipkin collector endpoint yet; {} spans dropped", spans.size());
            return CompletableResultCode.ofFailure();
        }
        StringBuilder body = new StringBuilder("[");
        boolean first = true;
        for (SpanData span : spans) {
            if (!first) {
                body.append(',');
            }
            first = false;
            json(span, body);
        }
        body.append(']');
        CompletableResultCode result = new CompletableResultCode();
        HttpRequest request = HttpRequest.newBuilder(target.get())
                .timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build();
        client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
            if (error != null) {
                log.warn("exporting {} spans to {} failed: {}", spans.size(), target.get(), error.toString());
                result.fail();
            } else if (response.statusCode() / 100 != 2) {
                log.warn("Zipkin at {} answered {} to {} spans", target.get(), response.statusCode(), spans.size());
                result.fail();
            } else {
                result.succeed();
            }
        });
        return result;
    }

    static void json(SpanData span, StringBuilder out) {
        out.append("{\"traceId\":\"").append(span.getTraceId()).append('"');
        out.append(",\"id\":\"").append(span.getSpanId()).append('"');
        if (span.getParentSpanContext().isValid()) {
            out.append(",\"parentId\":\"").append(span.getParentSpanId()).append('"');
        }
        String kind = kind(span.getKind());
        if (kind != null) {
            out.append(",\"kind\":\"").append(kind).append('"');
        }
        out.append(",\"name\":");
        JsonStrings.quote(out, span.getName());
        long startMicros = span.getStartEpochNanos() / 1000;
        long duration = Math.max(1, (span.getEndEpochNanos() - span.getStartEpochNanos()) / 1000);
        out.append(",\"timestamp\":").append(startMicros);
        out.append(",\"duration\":").append(duration);
        String service = span.getResource().getAttribute(SERVICE_NAME);
        out.append(",\"localEndpoint\":{\"serviceName\":");
        JsonStrings.quote(out, service == null ? "waypoint" : service);
        out.append('}');
        out.append(",\"tags\":{");
        boolean[] first = {true};
        span.getAttributes().forEach((key, value) -> {
            if (!first[0]) {
                out.append(',');
            }
            first[0] = false;
            JsonStrings.quote(out, key.getKey());
            out.append(':');
            JsonStrings.quote(out, String.valueOf(value));
        });
        if (span.getStatus().getStatusCode() == StatusCode.ERROR) {
            if (!first[0]) {
                out.append(',');
            }
            out.append("\"error\":");
            String description = span.getStatus().getDescription();
            JsonStrings.quote(out, description == null || description.isEmpty() ? "true" : description);
        }
        out.append("}}");
    }

    private static String kind(SpanKind kind) {
        return switch (kind) {
            case SERVER -> "SERVER";
            case CLIENT -> "CLIENT";
            case PRODUCER -> "PRODUCER";
            case CONSUMER -> "CONSUMER";
            case INTERNAL -> null;
        };
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }
}
