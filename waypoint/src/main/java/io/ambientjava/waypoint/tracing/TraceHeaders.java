package io.ambientjava.waypoint.tracing;

import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The trace context headers a request can carry — W3C {@code traceparent}/{@code tracestate}, B3 single
 * ({@code b3}) and B3 multi ({@code x-b3-traceid}, {@code x-b3-spanid}, {@code x-b3-parentspanid},
 * {@code x-b3-sampled}, {@code x-b3-flags}) — read from a request and written to the upstream request in the same
 * formats they came in.
 */
public final class TraceHeaders {

    public enum Format {
        W3C,
        B3_SINGLE,
        B3_MULTI
    }

    /** Every header any format uses (removed before the new context is written). */
    public static final List<String> ALL = List.of(
            "traceparent",
            "tracestate",
            "b3",
            "x-b3-traceid",
            "x-b3-spanid",
            "x-b3-parentspanid",
            "x-b3-sampled",
            "x-b3-flags");

    private static final TextMapPropagator W3C = W3CTraceContextPropagator.getInstance();
    private static final TextMapPropagator B3_SINGLE = B3Propagator.injectingSingleHeader();
    private static final TextMapPropagator B3_MULTI = B3Propagator.injectingMultiHeaders();

    static final TextMapGetter<HttpHeaders> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HttpHeaders carrier) {
            return carrier.names();
        }

        @Override
        public String get(HttpHeaders carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    static final TextMapSetter<HttpHeaders> SETTER = (carrier, key, value) -> {
        if (carrier != null) {
            carrier.set(key, value);
        }
    };

    private TraceHeaders() {}

    /** The formats present in {@code headers}. */
    public static Set<Format> formatsOf(HttpHeaders headers) {
        Set<Format> formats = EnumSet.noneOf(Format.class);
        if (headers.contains("traceparent")) {
            formats.add(Format.W3C);
        }
        if (headers.contains("b3")) {
            formats.add(Format.B3_SINGLE);
        }
        if (headers.contains("x-b3-traceid")) {
            formats.add(Format.B3_MULTI);
        }
        return formats;
    }

    /** The incoming context: W3C first, then B3 (single or multi); {@code root} when neither is valid. */
    public static Context extract(HttpHeaders headers, Context root) {
        Context w3c = W3C.extract(root, headers, GETTER);
        if (io.opentelemetry.api.trace.Span.fromContext(w3c).getSpanContext().isValid()) {
            return w3c;
        }
        return B3_MULTI.extract(root, headers, GETTER); // reads the single and the multi-header form
    }

    /** Replaces any trace headers in {@code headers} by {@code context} in each of {@code formats}. */
    public static void inject(Context context, HttpHeaders headers, Set<Format> formats) {
        ALL.forEach(headers::remove);
        for (Format f : formats) {
            switch (f) {
                case W3C -> W3C.inject(context, headers, SETTER);
                case B3_SINGLE -> B3_SINGLE.inject(context, headers, SETTER);
                case B3_MULTI -> B3_MULTI.inject(context, headers, SETTER);
            }
        }
    }
}
