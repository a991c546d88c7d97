package io.ambientjava.identity.manager;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.WorkloadCertificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A provider whose fetches stay pending until the test completes them. */
final class ScriptedProvider implements CertificateProvider {

    private final TrustBundle bundle;
    private final List<CompletableFuture<WorkloadCertificate>> fetches = new ArrayList<>();
    private final List<SpiffeId> asked = new ArrayList<>();

    ScriptedProvider(TrustBundle bundle) {
        this.bundle = bundle;
    }

    @Override
    public synchronized CompletableFuture<WorkloadCertificate> fetch(SpiffeId identity) {
        CompletableFuture<WorkloadCertificate> fetch = new CompletableFuture<>();
        fetches.add(fetch);
        asked.add(identity);
        return fetch;
    }

    @Override
    public TrustBundle trustBundle() {
        return bundle;
    }

    synchronized int fetchCount() {
        return fetches.size();
    }

    synchronized CompletableFuture<WorkloadCertificate> lastFetch() {
        return fetches.getLast();
    }

    synchronized List<SpiffeId> asked() {
        return List.copyOf(asked);
    }
}
