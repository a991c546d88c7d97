package io.ambientjava.identity;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A workload's key and certificate chain (leaf first, root last), as the CA returns it.
 *
 * @param identity the SPIFFE ID in the leaf's single URI SAN
 * @param privateKey the leaf's private key
 * @param chain leaf first, then intermediates, then (optionally) the root
 */
public record WorkloadCertificate(SpiffeId identity, PrivateKey privateKey, List<X509Certificate> chain) {

    public WorkloadCertificate {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(privateKey, "privateKey");
        chain = List.copyOf(chain);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("certificate chain for " + identity + " is empty");
        }
    }

    public X509Certificate leaf() {
        return chain.getFirst();
    }

    public Instant notBefore() {
        return leaf().getNotBefore().toInstant();
    }

    public Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }

    public boolean isValidAt(Instant now) {
        return !now.isBefore(notBefore()) && now.isBefore(notAfter());
    }
}
