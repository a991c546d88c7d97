package io.ambientjava.zds;

/** A ZDS request that did not succeed: nacked by ztunnel, no ztunnel connected, or the connection failed. */
public final class ZdsException extends RuntimeException {
    private final Kind kind;

    public enum Kind {
        /** ztunnel answered with an error; {@link #getMessage()} ends with its text. */
        NACK,
        /** No ztunnel has connected (the pod is kept and will be in the next snapshot). */
        NOT_CONNECTED,
        /** The connection broke, timed out or was replaced before the ack came. */
        CONNECTION_LOST
    }

    public ZdsException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public ZdsException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
