package io.ambientjava.ztunnel.certs;

import io.ambientjava.identity.SpiffeId;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One local identity's certificate, for {@code /config_dump} and {@code /certs}.
 *
 * @param identity the SPIFFE ID of the pods using it
 * @param state whether a certificate is held
 * @param chain leaf first, root last; empty unless AVAILABLE
 * @param error why it is unavailable
 * @param pods how many enrolled pods run as this identity
 */
public record CertificateInfo(
        SpiffeId identity, CertificateState state, List<X509Certificate> chain, Optional<String> error, int pods) {

    public CertificateInfo {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(state, "state");
        chain = List.copyOf(chain);
        Objects.requireNonNull(error, "error");
    }

    public Optional<Instant> notBefore() {
        return chain.isEmpty()
                ? Optional.empty()
                : Optional.of(chain.getFirst().getNotBefore().toInstant());
    }

    public Optional<Instant> notAfter() {
        return chain.isEmpty()
                ? Optional.empty()
                : Optional.of(chain.getFirst().getNotAfter().toInstant());
    }
}
