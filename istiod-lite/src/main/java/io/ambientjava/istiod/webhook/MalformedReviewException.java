package io.ambientjava.istiod.webhook;

/** The request body is not an {@code admission.k8s.io/v1} AdmissionReview this webhook can answer. */
public final class MalformedReviewException extends Exception {

    public MalformedReviewException(String message) {
        super(message);
    }
}
