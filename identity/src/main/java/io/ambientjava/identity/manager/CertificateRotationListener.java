package io.ambientjava.identity.manager;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;

/**
 * Told when a renewed certificate replaces the one held for an identity, so that TLS contexts built from
 * the old one can be rebuilt. Called on the thread that completed the renewal: return quickly.
 */
@FunctionalInterface
public interface CertificateRotationListener {

    void rotated(SpiffeId identity, WorkloadCertificate previous, WorkloadCertificate current);
}
