package io.ambientjava.identity.csr;

import io.ambientjava.identity.SpiffeId;
import java.security.PrivateKey;
import java.util.Objects;

/**
 * A fresh key and the PEM certificate signing request for it.
 *
 * @param identity the SPIFFE ID requested as the CSR's only URI SAN
 * @param privateKey the key whose public half the CSR carries; it never leaves the workload's proxy
 * @param csrPem the PKCS#10 request, PEM encoded, as sent to a CA
 */
public record GeneratedCsr(SpiffeId identity, PrivateKey privateKey, String csrPem) {

    public GeneratedCsr {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(csrPem, "csrPem");
    }
}
