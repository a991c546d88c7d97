package io.ambientjava.hbone.authority;

/** The {@code :authority} of an HBONE CONNECT is not a literal {@code ip:port}; the message says why. */
public final class InvalidAuthorityException extends IllegalArgumentException {

    public InvalidAuthorityException(String message) {
        super(message);
    }
}
