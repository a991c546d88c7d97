package io.ambientjava.ztunnel.certs;

/** The state of a local identity's certificate, as upstream ztunnel's config dump reports it. */
public enum CertificateState {
    /** A valid certificate is held. */
    AVAILABLE,
    /** The first certificate is being fetched. */
    INITIALIZING,
    /** None could be had (the last error says why). */
    UNAVAILABLE
}
