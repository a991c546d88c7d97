package io.ambientjava.ztunnel.dns;

/** A DNS name that could not be turned into an address. */
public final class UnresolvedHostnameException extends RuntimeException {
    public UnresolvedHostnameException(String message) {
        super(message);
    }

    public UnresolvedHostnameException(String message, Throwable cause) {
        super(message, cause);
    }
}
