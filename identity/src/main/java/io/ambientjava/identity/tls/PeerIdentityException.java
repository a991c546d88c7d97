package io.ambientjava.identity.tls;

/**
 * The TLS peer's certificate does not carry an acceptable mesh identity: no certificate, not exactly one
 * URI SAN, a URI SAN that is not a SPIFFE ID, or an identity other than the ones expected. The message
 * names what was expected and what was found.
 */
public final class PeerIdentityException extends RuntimeException {

    public PeerIdentityException(String message) {
        super(message);
    }

    public PeerIdentityException(String message, Throwable cause) {
        super(message, cause);
    }
}
