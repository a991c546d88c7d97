package io.ambientjava.hbone.client;

/**
 * No stream could be opened: the peer was unreachable, TLS failed, the peer's identity was not one expected,
 * or the connection went away before the CONNECT was answered.
 */
public class HboneConnectException extends RuntimeException {

    public HboneConnectException(String message) {
        super(message);
    }

    public HboneConnectException(String message, Throwable cause) {
        super(message, cause);
    }
}
