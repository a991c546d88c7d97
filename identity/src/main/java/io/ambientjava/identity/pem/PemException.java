package io.ambientjava.identity.pem;

/** PEM text that cannot be read as what the caller asked for; the message says what was found instead. */
public final class PemException extends IllegalArgumentException {

    public PemException(String message) {
        super(message);
    }

    public PemException(String message, Throwable cause) {
        super(message, cause);
    }
}
