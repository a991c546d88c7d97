package io.ambientjava.identity.ca;

/**
 * A certificate signing request the CA refuses: unreadable PEM, a bad signature, an unsupported key, or
 * SANs other than the one identity the caller is entitled to. The message names what was found.
 */
public final class CertificateRequestException extends RuntimeException {

    public CertificateRequestException(String message) {
        super(message);
    }

    public CertificateRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
