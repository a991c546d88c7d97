package io.ambientjava.identity.tls;

/** The handshake finished without negotiating ALPN {@code h2}, which HBONE requires. */
public final class ApplicationProtocolException extends RuntimeException {

    public ApplicationProtocolException(String message) {
        super(message);
    }
}
