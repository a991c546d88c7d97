package io.ambientjava.identity.manager;

/**
 * No usable certificate can be handed out for an identity: the first fetch failed, the held certificate
 * expired while renewals kept failing, or the identity was forgotten while a caller waited.
 */
public final class CertificateUnavailableException extends RuntimeException {

    public CertificateUnavailableException(String message) {
        super(message);
    }

    public CertificateUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
