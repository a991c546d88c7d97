package io.ambientjava.cni.redirect;

/** Redirection could not be installed or removed in a pod's network namespace; the message says why. */
public final class RedirectionException extends RuntimeException {
    public RedirectionException(String message) {
        super(message);
    }

    public RedirectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
