package io.ambientjava.waypoint.tracing;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Envoy's sampling: a request that arrives with a sampling decision keeps it; one without gets sampled with the
 * listener's {@code random_sampling} percentage, which travels in the parent {@link Context} (each listener has
 * its own, while the tracer provider is shared per collector).
 */
final class RequestSampler implements Sampler {

    static final ContextKey<Double> PERCENT = ContextKey.named("ambient-random-sampling-percent");

    @Override
    public SamplingResult shouldSample(
            Context parentContext,
            String traceId,
            String name,
            SpanKind spanKind,
            Attributes attributes,
            List<LinkData> parentLinks) {
        SpanContext parent = Span.fromContext(parentContext).getSpanContext();
        if (parent.isValid()) {
            return parent.isSampled() ? SamplingResult.recordAndSample() : SamplingResult.drop();
        }
        Double percent = parentContext.get(PERCENT);
        double p = percent == null ? 100.0 : percent;
        boolean sampled = p >= 100.0 || (p > 0 && ThreadLocalRandom.current().nextDouble() * 100.0 < p);
        return sampled ? SamplingResult.recordAndSample() : SamplingResult.drop();
    }

    @Override
    public String getDescription() {
        return "EnvoyRandomSampling";
    }
}
