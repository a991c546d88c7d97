package io.ambientjava.perf.mesh;

import java.time.Duration;

/**
 * What the enrollment figures measure per redirection mode.
 *
 * @param samples pods enrolled one by one for "enroll to first redirected byte" (each a fresh pod)
 * @param scalePods enrolls for "the N-th pod's enroll": N-1 bare network namespaces are enrolled first
 * @param scaleBudget wall-clock cap on those enrolls; the figure then names how many were reached
 */
public record EnrollmentPlan(int samples, int scalePods, Duration scaleBudget) {
    /** Pods fit a node's /24 with room for the topology's own addresses. */
    public static final int MAX_SAMPLES = 200;

    public static final int MAX_SCALE_PODS = 5_000;

    public EnrollmentPlan {
        if (samples < 1 || samples > MAX_SAMPLES) {
            throw new IllegalArgumentException(
                    "enroll samples must be between 1 and " + MAX_SAMPLES + ", was " + samples);
        }
        if (scalePods < 1 || scalePods > MAX_SCALE_PODS) {
            throw new IllegalArgumentException(
                    "enroll pods must be between 1 and " + MAX_SCALE_PODS + ", was " + scalePods);
        }
        if (scaleBudget.isNegative() || scaleBudget.isZero()) {
            throw new IllegalArgumentException("enroll budget must be positive, was " + scaleBudget);
        }
    }
}
