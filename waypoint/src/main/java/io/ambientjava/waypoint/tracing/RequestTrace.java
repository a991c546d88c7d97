package io.ambientjava.waypoint.tracing;

import io.ambientjava.waypoint.config.TracingConfig;
import io.ambientjava.waypoint.telemetry.RequestRecord;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The spans of one request through the waypoint: a server span for the hop (child of the context the request
 * came with), and a client span per upstream attempt, whose context is written into the upstream request in the
 * formats the request came with (none: W3C and B3 multi-header). Not thread-safe: used on the request's event
 * loop.
 */
public final class RequestTrace {

    private static final AttributeKey<String> COMPONENT = AttributeKey.stringKey("component");
    private static final AttributeKey<String> STATUS = AttributeKey.stringKey("http.status_code");
    private static final AttributeKey<String> FLAGS = AttributeKey.stringKey("response_flags");
    private static final AttributeKey<String> CLUSTER = AttributeKey.stringKey("upstream_cluster");
    private static final AttributeKey<String> ADDRESS = AttributeKey.stringKey("upstream_address");

    private final Tracer tracer;
    private final TracingConfig config;
    private final Span server;
    private final Context serverContext;
    private final Set<TraceHeaders.Format> formats;
    private Span client;

    private RequestTrace(
            Tracer tracer, TracingConfig config, Span server, Context serverContext, Set<TraceHeaders.Format> formats) {
        this.tracer = tracer;
        this.config = config;
        this.server = server;
        this.serverContext = serverContext;
        this.formats = formats;
    }

    static RequestTrace start(
            Tracer tracer, TracingConfig config, HttpHeaders headers, String spanName, Attributes attributes) {
        Context parent = TraceHeaders.extract(headers, Context.root())
                .with(RequestSampler.PERCENT, config.randomSamplingPercent());
        Set<TraceHeaders.Format> formats = TraceHeaders.formatsOf(headers);
        if (formats.isEmpty()) {
            formats = EnumSet.of(TraceHeaders.Format.W3C, TraceHeaders.Format.B3_MULTI);
        }
        var builder = tracer.spanBuilder(spanName)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAllAttributes(attributes)
                .setAttribute(COMPONENT, "proxy");
        for (TracingConfig.CustomTag tag : config.customTags()) {
            value(tag, headers).ifPresent(v -> builder.setAttribute(tag.tag(), v));
        }
        Span server = builder.startSpan();
        return new RequestTrace(tracer, config, server, parent.with(server), formats);
    }

    private static Optional<String> value(TracingConfig.CustomTag tag, HttpHeaders headers) {
        String v = switch (tag) {
            case TracingConfig.LiteralTag l -> l.value();
            case TracingConfig.EnvironmentTag e -> {
                String env = System.getenv(e.name());
                yield env != null ? env : e.defaultValue();
            }
            case TracingConfig.RequestHeaderTag h -> {
                String header = headers.get(h.name());
                yield header != null ? header : h.defaultValue();
            }
        };
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v);
    }

    /** An upstream attempt begins: ends the previous attempt's span, starts one, writes its context. */
    public void onUpstreamRequest(HttpHeaders upstreamHeaders, String cluster, String upstreamAddress, int attempt) {
        if (client != null) {
            client.setStatus(StatusCode.ERROR, "retried");
            client.end();
        }
        client = tracer.spanBuilder("router " + cluster + " egress")
                .setParent(serverContext)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(COMPONENT, "proxy")
                .setAttribute(CLUSTER, cluster)
                .setAttribute(ADDRESS, upstreamAddress)
                .setAttribute("retry.attempt", attempt)
                .startSpan();
        TraceHeaders.inject(serverContext.with(client), upstreamHeaders, formats);
    }

    /** The upstream answered (its status on the attempt's span). */
    public void onUpstreamResponse(int status) {
        if (client != null) {
            client.setAttribute(STATUS, Integer.toString(status));
            if (status >= 500) {
                client.setStatus(StatusCode.ERROR);
            }
            client.end();
            client = null;
        }
    }

    /** The request is over: the server span gets its outcome and ends. */
    public void finish(RequestRecord record) {
        if (client != null) {
            client.setStatus(StatusCode.ERROR, record.responseFlags());
            client.end();
            client = null;
        }
        server.setAttribute(STATUS, Integer.toString(record.status()));
        server.setAttribute(FLAGS, record.responseFlags());
        server.setAttribute(CLUSTER, record.cluster());
        record.upstreamHost().ifPresent(h -> server.setAttribute(ADDRESS, h));
        if (record.status() >= 500 || record.status() == 0) {
            server.setStatus(StatusCode.ERROR);
        }
        server.end();
    }

    public String traceId() {
        return server.getSpanContext().getTraceId();
    }

    public String spanId() {
        return server.getSpanContext().getSpanId();
    }

    TracingConfig config() {
        return config;
    }
}
