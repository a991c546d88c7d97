package io.ambientjava.istiod.webhook;

import io.ambientjava.identity.WorkloadCertificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook's certificate as istiod-lite's own CA issues it, issued again once half its lifetime has passed (looked
 * at during handshakes), so the webhook never presents an expired certificate however long it runs. When a renewal
 * fails the current certificate stays, and the next handshake tries again.
 */
final class IssuedKeyManager extends SwappableKeyManager {

    private static final Logger log = LoggerFactory.getLogger(IssuedKeyManager.class);

    private record Issued(WorkloadCertificate certificate, Instant renewAt, X509ExtendedKeyManager keys) {}

    private final Supplier<WorkloadCertificate> issuer;
    private final Clock clock;
    private volatile Issued issued;

    /** Issues the first certificate now: a CA that cannot issue fails here, at start. */
    IssuedKeyManager(Supplier<WorkloadCertificate> issuer, Clock clock) {
        this.issuer = Objects.requireNonNull(issuer, "issuer");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.issued = issue();
    }

    private Issued issue() {
        WorkloadCertificate certificate = issuer.get();
        Duration lifetime = Duration.between(certificate.notBefore(), certificate.notAfter());
        Instant renewAt = certificate.notBefore().plus(lifetime.dividedBy(2));
        return new Issued(certificate, renewAt, of(certificate.chain(), certificate.privateKey()));
    }

    /** The certificate presented now. */
    WorkloadCertificate certificate() {
        return issued.certificate();
    }

    @Override
    protected X509ExtendedKeyManager current() {
        Issued now = issued;
        if (clock.instant().isBefore(now.renewAt())) {
            return now.keys();
        }
        synchronized (this) {
            if (issued == now) {
                try {
                    issued = issue();
                    log.info(
                            "webhook certificate renewed; valid until {}",
                            issued.certificate().notAfter());
                } catch (RuntimeException e) {
                    log.warn(
                            "cannot renew the webhook certificate ({}); keeping the one valid until {}",
                            e.getMessage(),
                            now.certificate().notAfter());
                    return now.keys();
                }
            }
            return issued.keys();
        }
    }

    @Override
    protected X509ExtendedKeyManager last() {
        return issued.keys();
    }
}
