package io.ambientjava.perf.mesh;

import java.util.List;

/**
 * Enrollment cost in one redirection mode.
 *
 * @param applyNanos per sampled pod: the redirector's apply alone
 * @param firstByteNanos per sampled pod: apply start to the first byte of a redirected connection read by the
 *     pod's 15001 listener
 * @param scaleAsked enrolls asked for the scale figure
 * @param scaleEnrollNanos each scale enroll in order; fewer than asked when the budget ran out
 * @param scaleSeconds the scale enrolls' times added up (making and deleting the namespaces not included)
 */
public record EnrollmentResult(
        MeshRedirect mode,
        List<Long> applyNanos,
        List<Long> firstByteNanos,
        int scaleAsked,
        List<Long> scaleEnrollNanos,
        double scaleSeconds) {

    private static final int WINDOW = 10;

    public EnrollmentResult {
        applyNanos = List.copyOf(applyNanos);
        firstByteNanos = List.copyOf(firstByteNanos);
        scaleEnrollNanos = List.copyOf(scaleEnrollNanos);
    }

    public int scaleReached() {
        return scaleEnrollNanos.size();
    }

    /** The last scale enroll: the N-th pod's, N-1 already enrolled. */
    public double lastEnrollMillis() {
        return scaleEnrollNanos.isEmpty() ? Double.NaN : scaleEnrollNanos.getLast() / 1e6;
    }

    /** Median of the first ten scale enrolls (few pods enrolled). */
    public double firstTenMedianMillis() {
        return medianMillis(scaleEnrollNanos.subList(0, Math.min(WINDOW, scaleEnrollNanos.size())));
    }

    /** Median of the last ten scale enrolls (nearly N pods enrolled). */
    public double lastTenMedianMillis() {
        return medianMillis(
                scaleEnrollNanos.subList(Math.max(0, scaleEnrollNanos.size() - WINDOW), scaleEnrollNanos.size()));
    }

    static double percentileMillis(List<Long> nanos, double percentile) {
        if (nanos.isEmpty()) {
            return Double.NaN;
        }
        long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        int index = (int) Math.ceil(percentile / 100 * sorted.length) - 1;
        return sorted[Math.clamp(index, 0, sorted.length - 1)] / 1e6;
    }

    static double medianMillis(List<Long> nanos) {
        return percentileMillis(nanos, 50);
    }
}
