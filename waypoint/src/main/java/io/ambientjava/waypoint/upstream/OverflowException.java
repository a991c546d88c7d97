package io.ambientjava.waypoint.upstream;

/** A circuit breaker limit was reached: the request is answered 503 at once (Envoy response flag UO). */
public final class OverflowException extends RuntimeException {

    public OverflowException(String message) {
        super(message, null, false, false);
    }
}
