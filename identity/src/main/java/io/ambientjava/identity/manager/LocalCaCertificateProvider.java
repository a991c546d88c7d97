package io.ambientjava.identity.manager;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** Certificates from an in-process {@link MeshCertificateAuthority}, issued on virtual threads. */
public final class LocalCaCertificateProvider implements CertificateProvider {

    private final MeshCertificateAuthority ca;
    private final Duration ttl;
    private final Executor executor;

    /** Issues certificates with the CA's default TTL. */
    public LocalCaCertificateProvider(MeshCertificateAuthority ca) {
        this(ca, ca.options().defaultTtl());
    }

    public LocalCaCertificateProvider(MeshCertificateAuthority ca, Duration ttl) {
        this.ca = Objects.requireNonNull(ca, "ca");
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        // Key generation and signing take a few milliseconds of CPU; keep them off callers' threads.
        this.executor = task -> Thread.ofVirtual().name("local-ca").start(task);
    }

    @Override
    public CompletableFuture<WorkloadCertificate> fetch(SpiffeId identity) {
        return CompletableFuture.supplyAsync(() -> ca.issue(identity, ttl), executor);
    }

    @Override
    public TrustBundle trustBundle() {
        return ca.trustBundle();
    }
}
