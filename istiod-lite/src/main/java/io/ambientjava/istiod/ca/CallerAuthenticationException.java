package io.ambientjava.istiod.ca;

/** A credential the CA does not accept; the message says why (unknown, expired, malformed). */
public final class CallerAuthenticationException extends Exception {

    public CallerAuthenticationException(String message) {
        super(message);
    }
}
