package io.ambientjava.ztunnel.caclient;

/** A certificate could not be obtained from the CA; the message says from where, for whom and why. */
public final class CaRequestException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CaRequestException(String message) {
        super(message);
    }

    public CaRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
