package io.ambientjava.waypoint.tracing;

import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.util.Collection;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * OTLP over HTTP (protobuf) with OpenTelemetry's exporter (JDK HTTP sender). The collector address is looked up at
 * each export; a new address gets a new exporter.
 */
final class OtlpHttpExporter implements SpanExporter {

    private final Supplier<Optional<URI>> collector;
    private URI current;
    private OtlpHttpSpanExporter exporter;

    OtlpHttpExporter(Supplier<Optional<URI>> collector) {
        this.collector = collector;
    }

    @Override
    public synchronized CompletableResultCode export(Collection<SpanData> spans) {
        Optional<URI> target = collector.get();
        if (target.isEmpty()) {
            return CompletableResultCode.ofFailure();
        }
        if (!target.get().equals(current)) {
            if (exporter != null) {
                exporter.shutdown();
            }
            exporter = OtlpHttpSpanExporter.builder()
                    .setEndpoint(target.get().toString())
                    .build();
            current = target.get();
        }
        return exporter.export(spans);
    }

    @Override
    public synchronized CompletableResultCode flush() {
        return exporter == null ? CompletableResultCode.ofSuccess() : exporter.flush();
    }

    @Override
    public synchronized CompletableResultCode shutdown() {
        return exporter == null ? CompletableResultCode.ofSuccess() : exporter.shutdown();
    }
}
