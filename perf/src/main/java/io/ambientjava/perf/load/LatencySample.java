package io.ambientjava.perf.load;

import org.HdrHistogram.Histogram;

/**
 * What a latency case measured. Latencies in the histogram are nanoseconds from a request's intended send time to
 * the arrival of its whole answer.
 *
 * @param sent requests scheduled (warm-up included)
 * @param completed answers received (warm-up included)
 * @param failed requests never answered: their connection closed, or the drain timeout ran out
 */
public record LatencySample(LatencyPlan plan, Histogram histogram, long sent, long completed, long failed) {

    public double percentileMicros(double percentile) {
        return histogram.getValueAtPercentile(percentile) / 1_000.0;
    }

    public double maxMicros() {
        return histogram.getMaxValue() / 1_000.0;
    }

    public long recorded() {
        return histogram.getTotalCount();
    }
}
