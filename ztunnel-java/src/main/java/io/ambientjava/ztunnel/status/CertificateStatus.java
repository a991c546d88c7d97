package io.ambientjava.ztunnel.status;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A workload identity's certificate as ztunnel holds it. Never carries a private key.
 *
 * @param identity the SPIFFE ID
 * @param state whether a certificate is available
 * @param chain leaf first, root last; empty unless {@link State#AVAILABLE}
 * @param error why it is unavailable, if it is
 */
public record CertificateStatus(String identity, State state, List<X509Certificate> chain, Optional<String> error) {

    /** Upstream ztunnel's certificate states. */
    public enum State {
        INITIALIZING("Initializing"),
        AVAILABLE("Available"),
        UNAVAILABLE("Unavailable");

        private final String label;

        State(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public CertificateStatus {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(state, "state");
        chain = List.copyOf(chain);
        Objects.requireNonNull(error, "error");
        if (state == State.AVAILABLE && chain.isEmpty()) {
            throw new IllegalArgumentException("available certificate for " + identity + " has no chain");
        }
    }

    public static CertificateStatus available(String identity, List<X509Certificate> chain) {
        return new CertificateStatus(identity, State.AVAILABLE, chain, Optional.empty());
    }

    public static CertificateStatus initializing(String identity) {
        return new CertificateStatus(identity, State.INITIALIZING, List.of(), Optional.empty());
    }

    public static CertificateStatus unavailable(String identity, String error) {
        return new CertificateStatus(identity, State.UNAVAILABLE, List.of(), Optional.of(error));
    }

    /** The leaf's expiry, when a certificate is available. */
    public Optional<Instant> notAfter() {
        return chain.isEmpty()
                ? Optional.empty()
                : Optional.of(chain.getFirst().getNotAfter().toInstant());
    }
}
