package io.ambientjava.identity.manager;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.WorkloadCertificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds one certificate per workload identity and keeps it fresh, like ztunnel's SecretManager.
 *
 * <ul>
 *   <li>The first {@link #certificateFor} of an identity fetches from the {@link CertificateProvider};
 *       callers arriving meanwhile share that fetch.
 *   <li>Each certificate is renewed once {@link RenewalPolicy#renewAtFraction()} of its lifetime has
 *       passed. A failed renewal keeps the old certificate and is retried with exponential backoff.
 *   <li>An expired certificate is never handed out. If it expired and renewals keep failing, callers get
 *       a failed future ({@link CertificateUnavailableException}) naming the expiry and the last error.
 *   <li>{@link CertificateRotationListener}s hear about each renewed certificate.
 * </ul>
 *
 * Thread-safe. Time comes from the injected {@link Clock}; renewals run on the injected scheduler, whose
 * tasks only start provider fetches (they never block).
 */
public final class WorkloadCertificateManager implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkloadCertificateManager.class);

    private final CertificateProvider provider;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final Clock clock;
    private final RenewalPolicy policy;
    private final ConcurrentHashMap<SpiffeId, Entry> entries = new ConcurrentHashMap<>();
    private final List<CertificateRotationListener> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public WorkloadCertificateManager(
            CertificateProvider provider, ScheduledExecutorService scheduler, Clock clock, RenewalPolicy policy) {
        this(provider, scheduler, false, clock, policy);
    }

    private WorkloadCertificateManager(
            CertificateProvider provider,
            ScheduledExecutorService scheduler,
            boolean ownsScheduler,
            Clock clock,
            RenewalPolicy policy) {
        this.provider = Objects.requireNonNull(provider, "provider");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.ownsScheduler = ownsScheduler;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** A manager with its own renewal thread, the system clock and the default policy; close it when done. */
    public static WorkloadCertificateManager create(CertificateProvider provider) {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("cert-renewal").daemon(true).factory());
        return new WorkloadCertificateManager(provider, scheduler, true, Clock.systemUTC(), RenewalPolicy.defaults());
    }

    /**
     * A valid certificate for {@code identity}: the held one, or the result of the fetch in progress.
     * Fails with {@link CertificateUnavailableException} when none can be had.
     */
    public CompletableFuture<WorkloadCertificate> certificateFor(SpiffeId identity) {
        Objects.requireNonNull(identity, "identity");
        while (true) {
            if (closed) {
                return CompletableFuture.failedFuture(new CertificateUnavailableException(
                        "certificate manager is closed; no certificate for " + identity));
            }
            Entry entry = entries.computeIfAbsent(identity, Entry::new);
            CompletableFuture<WorkloadCertificate> result = entry.get();
            if (result != null) {
                return result;
            }
            entries.remove(identity, entry); // forgotten concurrently: start over with a fresh entry
        }
    }

    /** The certificate currently held for {@code identity}, if it has one that has not expired. */
    public Optional<WorkloadCertificate> current(SpiffeId identity) {
        Entry entry = entries.get(identity);
        return entry == null ? Optional.empty() : entry.currentIfValid();
    }

    /** Drops the identity's certificate and stops renewing it; callers still waiting get a failed future. */
    public void forget(SpiffeId identity) {
        Entry entry = entries.remove(identity);
        if (entry != null) {
            entry.forget();
        }
    }

    public TrustBundle trustBundle() {
        return provider.trustBundle();
    }

    public void addListener(CertificateRotationListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(CertificateRotationListener listener) {
        listeners.remove(listener);
    }

    @Override
    public void close() {
        closed = true;
        for (SpiffeId identity : List.copyOf(entries.keySet())) {
            forget(identity);
        }
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
    }

    private void notifyRotation(SpiffeId identity, WorkloadCertificate previous, WorkloadCertificate current) {
        for (CertificateRotationListener listener : listeners) {
            try {
                listener.rotated(identity, previous, current);
            } catch (RuntimeException e) {
                log.warn("certificate rotation listener {} failed for {}", listener, identity, e);
            }
        }
    }

    /** The state of one identity; every field is guarded by the entry's monitor. */
    private final class Entry {
        private final SpiffeId identity;
        private WorkloadCertificate current;
        private CompletableFuture<WorkloadCertificate> waiting;
        private boolean fetching;
        private ScheduledFuture<?> scheduled;
        private int failures;
        private Throwable lastFailure;
        private boolean forgotten;

        Entry(SpiffeId identity) {
            this.identity = identity;
        }

        /** The caller's future, or {@code null} when this entry was forgotten. */
        CompletableFuture<WorkloadCertificate> get() {
            CompletableFuture<WorkloadCertificate> result;
            boolean startFetch = false;
            synchronized (this) {
                if (forgotten) {
                    return null;
                }
                Instant now = clock.instant();
                if (current != null && now.isBefore(current.notAfter())) {
                    return CompletableFuture.completedFuture(current);
                }
                if (waiting == null) {
                    if (current != null && !fetching && lastFailure != null) {
                        // Expired while renewals fail: answer now rather than hammer the CA before the backoff ends.
                        return CompletableFuture.failedFuture(expiredError());
                    }
                    waiting = new CompletableFuture<>();
                    if (!fetching) {
                        cancelScheduled();
                        fetching = true;
                        startFetch = true;
                    }
                }
                result = waiting.copy();
            }
            if (startFetch) {
                fetch();
            }
            return result;
        }

        synchronized Optional<WorkloadCertificate> currentIfValid() {
            return current != null && clock.instant().isBefore(current.notAfter())
                    ? Optional.of(current)
                    : Optional.empty();
        }

        void forget() {
            CompletableFuture<WorkloadCertificate> abandoned;
            synchronized (this) {
                forgotten = true;
                cancelScheduled();
                abandoned = waiting;
                waiting = null;
            }
            if (abandoned != null) {
                abandoned.completeExceptionally(new CertificateUnavailableException(
                        "certificate request for " + identity + " abandoned: the identity was forgotten"));
            }
        }

        private void renew() {
            synchronized (this) {
                scheduled = null;
                if (forgotten || fetching) {
                    return;
                }
                fetching = true;
            }
            fetch();
        }

        private void fetch() {
            CompletableFuture<WorkloadCertificate> fetch;
            try {
                fetch = provider.fetch(identity);
                if (fetch == null) {
                    fetch = CompletableFuture.failedFuture(new IllegalStateException("provider returned no future"));
                }
            } catch (RuntimeException e) {
                fetch = CompletableFuture.failedFuture(e);
            }
            fetch.whenComplete(this::fetched);
        }

        private void fetched(WorkloadCertificate certificate, Throwable error) {
            Throwable failure =
                    error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (failure == null) {
                failure = problemWith(certificate);
            }
            WorkloadCertificate previous;
            CompletableFuture<WorkloadCertificate> waiters;
            Throwable waitersError = null;
            synchronized (this) {
                fetching = false;
                if (forgotten) {
                    return;
                }
                previous = current;
                waiters = waiting;
                waiting = null;
                if (failure == null) {
                    current = certificate;
                    failures = 0;
                    lastFailure = null;
                    schedule(renewalDelay(certificate));
                } else {
                    failures++;
                    lastFailure = failure;
                    if (current == null) {
                        // Never had one: the next caller asks again; nothing to keep fresh in the background.
                        waitersError = new CertificateUnavailableException(
                                "cannot obtain a certificate for " + identity + ": " + failure.getMessage(), failure);
                    } else {
                        Duration backoff = policy.backoff(failures);
                        log.warn(
                                "renewing the certificate for {} failed ({} in a row), keeping the current one"
                                        + " (expires {}), retrying in {}: {}",
                                identity,
                                failures,
                                current.notAfter(),
                                backoff,
                                failure.toString());
                        schedule(backoff);
                        waitersError = expiredError();
                    }
                }
            }
            if (failure == null) {
                if (waiters != null) {
                    waiters.complete(certificate);
                }
                if (previous != null) {
                    log.info("rotated the certificate for {}; new one expires {}", identity, certificate.notAfter());
                    notifyRotation(identity, previous, certificate);
                }
            } else if (waiters != null) {
                waiters.completeExceptionally(waitersError);
            }
        }

        private Throwable problemWith(WorkloadCertificate certificate) {
            if (certificate == null) {
                return new IllegalStateException("provider returned no certificate");
            }
            SpiffeId certified;
            try {
                certified = SpiffeId.fromCertificate(certificate.leaf());
            } catch (IllegalArgumentException e) {
                return new IllegalStateException("provider returned an unusable certificate: " + e.getMessage(), e);
            }
            if (!certified.equals(identity) || !certificate.identity().equals(identity)) {
                return new IllegalStateException(
                        "provider returned a certificate for " + certified + " when asked for " + identity);
            }
            if (!clock.instant().isBefore(certificate.notAfter())) {
                return new IllegalStateException("provider returned a certificate for " + identity + " that expired at "
                        + certificate.notAfter());
            }
            return null;
        }

        /** Guarded by this. */
        private CertificateUnavailableException expiredError() {
            return new CertificateUnavailableException(
                    "certificate for " + identity + " expired at " + current.notAfter() + " and renewal failed "
                            + failures + " time(s); last error: " + lastFailure.getMessage(),
                    lastFailure);
        }

        private Duration renewalDelay(WorkloadCertificate certificate) {
            Duration lifetime = Duration.between(certificate.notBefore(), certificate.notAfter());
            Instant renewAt =
                    certificate.notBefore().plusMillis((long) (lifetime.toMillis() * policy.renewAtFraction()));
            Duration delay = Duration.between(clock.instant(), renewAt);
            return delay.isNegative() ? Duration.ZERO : delay;
        }

        /** Guarded by this. */
        private void schedule(Duration delay) {
            cancelScheduled();
            try {
                scheduled = scheduler.schedule(this::renew, delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                log.debug("not scheduling renewal of {}: scheduler is shut down", identity);
            }
        }

        /** Guarded by this. */
        private void cancelScheduled() {
            if (scheduled != null) {
                scheduled.cancel(false);
                scheduled = null;
            }
        }
    }
}
