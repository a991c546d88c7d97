package io.ambientjava.ztunnel.certs;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.manager.CertificateProvider;
import io.ambientjava.identity.manager.CertificateUnavailableException;
import io.ambientjava.identity.manager.WorkloadCertificateManager;
import io.netty.handler.ssl.SslContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificates of the identities of the pods on this node: one per service account identity, fetched when the
 * first pod of that identity is enrolled ({@link #acquire}), renewed before expiry by the
 * {@link WorkloadCertificateManager}, and dropped when the last such pod leaves ({@link #release}).
 *
 * <p>TLS contexts are built once per certificate and cached; a renewal builds new ones (on the renewal thread), so
 * new HBONE connections use the new certificate while open ones keep theirs. Lookups of the contexts
 * ({@link #serverContext}, {@link #clientContext}) never block: they are called on event loops for each new
 * connection.
 */
public final class WorkloadCertificates implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkloadCertificates.class);

    private final WorkloadCertificateManager manager;
    // Guarded by this; identities with at least one user.
    private final Map<SpiffeId, Integer> users = new HashMap<>();
    private final ConcurrentHashMap<SpiffeId, TlsContexts> contexts = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<SpiffeId, String> lastErrors = new ConcurrentHashMap<>();

    /** Certificates from {@code provider}, renewed at half-life on a thread of their own. */
    public WorkloadCertificates(CertificateProvider provider) {
        this(WorkloadCertificateManager.create(Objects.requireNonNull(provider, "provider")));
    }

    /** Certificates from {@code manager} (closed with this). */
    public WorkloadCertificates(WorkloadCertificateManager manager) {
        this.manager = Objects.requireNonNull(manager, "manager");
        manager.addListener((identity, previous, current) -> rotated(identity, current));
    }

    /**
     * Registers one more user (a pod) of {@code identity}; the first one starts fetching its certificate. Completes
     * when the certificate and its TLS contexts are ready, or fails with the reason (the fetch is retried on the
     * next {@link #ready} call).
     */
    public CompletableFuture<Void> acquire(SpiffeId identity) {
        Objects.requireNonNull(identity, "identity");
        synchronized (this) {
            users.merge(identity, 1, Integer::sum);
        }
        return ready(identity);
    }

    /** Drops one user of {@code identity}; after the last one the certificate is forgotten and no longer renewed. */
    public void release(SpiffeId identity) {
        synchronized (this) {
            Integer count = users.get(identity);
            if (count == null) {
                return;
            }
            if (count > 1) {
                users.put(identity, count - 1);
                return;
            }
            users.remove(identity);
            manager.forget(identity);
            contexts.remove(identity);
            lastErrors.remove(identity);
        }
        log.info("no pod on this node runs as {} any more; its certificate is dropped", identity);
    }

    /** Completes when a valid certificate for {@code identity} and its TLS contexts are ready. */
    public CompletableFuture<Void> ready(SpiffeId identity) {
        TlsContexts cached = contexts.get(identity);
        if (cached != null
                && manager.current(identity)
                        .filter(c -> c == cached.certificate())
                        .isPresent()) {
            return CompletableFuture.completedFuture(null);
        }
        return manager.certificateFor(identity).handle((certificate, error) -> {
            if (error != null) {
                Throwable cause =
                        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                lastErrors.put(identity, String.valueOf(cause.getMessage()));
                throw new CertificateUnavailableException(
                        "no certificate for " + identity + ": " + cause.getMessage(), cause);
            }
            lastErrors.remove(identity);
            contextsFor(identity, certificate);
            return null;
        });
    }

    /** The server TLS context for {@code identity}'s current certificate. */
    public SslContext serverContext(SpiffeId identity) {
        return currentContexts(identity).server();
    }

    /** The client TLS context for {@code identity}'s current certificate. */
    public SslContext clientContext(SpiffeId identity) {
        return currentContexts(identity).client();
    }

    /** The certificate currently held for {@code identity}, if a valid one is. */
    public Optional<WorkloadCertificate> current(SpiffeId identity) {
        return manager.current(identity);
    }

    public TrustBundle trustBundle() {
        return manager.trustBundle();
    }

    /** Every identity in use on this node, with its certificate (or why there is none), by identity. */
    public List<CertificateInfo> certificates() {
        Map<SpiffeId, Integer> inUse;
        synchronized (this) {
            inUse = Map.copyOf(users);
        }
        List<CertificateInfo> result = new ArrayList<>();
        inUse.forEach((identity, pods) -> {
            Optional<WorkloadCertificate> certificate = manager.current(identity);
            Optional<String> error = Optional.ofNullable(lastErrors.get(identity));
            CertificateState state = certificate.isPresent()
                    ? CertificateState.AVAILABLE
                    : error.isPresent() ? CertificateState.UNAVAILABLE : CertificateState.INITIALIZING;
            result.add(new CertificateInfo(
                    identity,
                    state,
                    certificate.map(WorkloadCertificate::chain).orElse(List.of()),
                    certificate.isPresent() ? Optional.empty() : error,
                    pods));
        });
        result.sort(Comparator.comparing(info -> info.identity().toString()));
        return List.copyOf(result);
    }

    private TlsContexts currentContexts(SpiffeId identity) {
        WorkloadCertificate certificate = manager.current(identity)
                .orElseThrow(() -> new CertificateUnavailableException("no valid certificate for " + identity
                        + Optional.ofNullable(lastErrors.get(identity))
                                .map(e -> ": " + e)
                                .orElse(" (not fetched yet)")));
        return contextsFor(identity, certificate);
    }

    private TlsContexts contextsFor(SpiffeId identity, WorkloadCertificate certificate) {
        TlsContexts cached = contexts.get(identity);
        if (cached != null && cached.certificate() == certificate) {
            return cached;
        }
        TlsContexts built = TlsContexts.build(certificate, manager.trustBundle());
        contexts.put(identity, built);
        return built;
    }

    private void rotated(SpiffeId identity, WorkloadCertificate current) {
        try {
            contextsFor(identity, current);
            log.info(
                    "TLS contexts of {} rebuilt for the renewed certificate (expires {})",
                    identity,
                    current.notAfter());
        } catch (RuntimeException e) {
            log.warn("cannot build TLS contexts for the renewed certificate of {}", identity, e);
        }
    }

    @Override
    public void close() {
        manager.close();
        contexts.clear();
    }
}
