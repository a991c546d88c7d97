package io.ambientjava.istiod.deploy;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ConfigSource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;

/**
 * The thread a controller's rounds run on ({@link WaypointDeployments}, {@link RootCertificatePublisher}): a round
 * after every config snapshot of the source (requests that come before it starts become one round), one every {@code
 * resyncPeriod} whatever changed, and one {@code retryDelay} after a round that failed (an API call of it failed, or
 * it threw); a retry that fails again schedules the next one.
 *
 * <p>Every round is planned from the latest snapshot: the controller gives what the round acts on (a fingerprint) and
 * the work. A round that is not forced (only snapshot rounds are not) is skipped when its fingerprint equals the last
 * finished round's and that round did not fail. Plans, rounds and {@link #reportFailure} run on the loop's thread
 * only, so state the controller touches only from them needs no locking.
 */
public final class ReconcileLoop {

    /**
     * How often a controller's rounds run without a change and how soon after a failure, and the clock for the times
     * it writes.
     */
    public record Options(Duration resyncPeriod, Duration retryDelay, Clock clock) {
        public Options {
            Objects.requireNonNull(resyncPeriod, "resyncPeriod");
            Objects.requireNonNull(retryDelay, "retryDelay");
            Objects.requireNonNull(clock, "clock");
            if (resyncPeriod.isNegative() || resyncPeriod.isZero() || retryDelay.isNegative()) {
                throw new IllegalArgumentException("resyncPeriod must be positive and retryDelay not negative");
            }
        }

        /** A round every 60 s without changes, 5 s after a failed one. */
        public static Options defaults() {
            return new Options(Duration.ofSeconds(60), Duration.ofSeconds(5), Clock.systemUTC());
        }

        public Options withResyncPeriod(Duration value) {
            return new Options(value, retryDelay, clock);
        }

        public Options withRetryDelay(Duration value) {
            return new Options(resyncPeriod, value, clock);
        }

        public Options withClock(Clock value) {
            return new Options(resyncPeriod, retryDelay, value);
        }
    }

    /**
     * A round planned from a snapshot: what it acts on (unchanged, there is nothing new to act on) and its work, true
     * when every API call of it succeeded.
     */
    record Round(String fingerprint, BooleanSupplier work) {}

    private final String roundName;
    private final Logger log;
    private final Options options;
    private final Function<ConfigSnapshot, Round> planner;
    private final ScheduledExecutorService executor;
    private final AtomicReference<ConfigSnapshot> latest = new AtomicReference<>(ConfigSnapshot.empty());
    private final AtomicBoolean queued = new AtomicBoolean();
    private final AtomicLong rounds = new AtomicLong();

    // Only touched on the executor thread.
    private String lastFingerprint;
    private boolean lastRoundFailed;
    private ScheduledFuture<?> retry;
    private Set<String> reportedFailures = new HashSet<>();
    private Set<String> failures = new HashSet<>();
    private volatile boolean closed;

    /**
     * A loop on a daemon thread named {@code threadName}, logging to the controller's {@code log} about its rounds as
     * {@code roundName} (e.g. "waypoint deployment round"); nothing runs before {@link #start}.
     */
    ReconcileLoop(
            String threadName, String roundName, Logger log, Options options, Function<ConfigSnapshot, Round> planner) {
        this.roundName = Objects.requireNonNull(roundName, "roundName");
        this.log = Objects.requireNonNull(log, "log");
        this.options = Objects.requireNonNull(options, "options");
        this.planner = Objects.requireNonNull(planner, "planner");
        this.executor = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name(threadName).factory());
    }

    /** Follows {@code source}'s snapshots; the first round runs at once, then the periodic resync. */
    void start(ConfigSource source) {
        latest.set(source.current());
        source.addListener(this::onSnapshot);
        queue();
        long resync = options.resyncPeriod().toMillis();
        executor.scheduleWithFixedDelay(() -> safeRound(true), resync, resync, TimeUnit.MILLISECONDS);
    }

    /** Rounds that ran (not skipped as unchanged) so far. */
    long rounds() {
        return rounds.get();
    }

    /** True once {@link #close} began: failures from then on are the shutdown's, not worth a warning. */
    boolean closed() {
        return closed;
    }

    /**
     * Runs a full round now, even if nothing changed, and waits for it (at most {@code timeout}); true when every
     * API call of it succeeded.
     */
    boolean reconcileNow(Duration timeout) {
        try {
            return executor.submit(() -> safeRound(true)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(roundName + " did not finish", e);
        }
    }

    private void onSnapshot(ConfigSnapshot snapshot) {
        latest.set(snapshot);
        queue();
    }

    /** Asks for a round on the loop's thread; requests before it starts become one. */
    private void queue() {
        if (queued.compareAndSet(false, true)) {
            try {
                executor.execute(() -> {
                    queued.set(false);
                    safeRound(false);
                });
            } catch (RejectedExecutionException e) {
                queued.set(false);
                log.debug("closed; dropping a {}", roundName);
            }
        }
    }

    /** Never throws: an exception would end the periodic resync. */
    private boolean safeRound(boolean force) {
        try {
            return round(force);
        } catch (RuntimeException e) {
            if (!closed) {
                log.error("{} failed; retrying in {}", roundName, options.retryDelay(), e);
            }
            lastRoundFailed = true;
            scheduleRetry();
            return false;
        }
    }

    private boolean round(boolean force) {
        Round round = planner.apply(latest.get());
        if (!force && !lastRoundFailed && round.fingerprint().equals(lastFingerprint)) {
            return true;
        }
        rounds.incrementAndGet();
        failures = new HashSet<>();
        boolean ok = round.work().getAsBoolean();
        reportedFailures = failures;
        lastFingerprint = round.fingerprint();
        lastRoundFailed = !ok;
        if (!ok) {
            scheduleRetry();
        }
        return ok;
    }

    private void scheduleRetry() {
        if (retry == null || retry.isDone()) {
            try {
                retry = executor.schedule(
                        () -> {
                            retry = null; // running: a failure of this round schedules the next retry
                            safeRound(true);
                        },
                        options.retryDelay().toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                log.debug("closed; no retry");
            }
        }
    }

    /**
     * A failed API call of the running round: logged as a warning, except when the same call failed the same way in
     * the round before (a missing permission would otherwise repeat every retry) or the loop is closing.
     */
    void reportFailure(String message) {
        failures.add(message);
        if (closed) {
            log.debug("{} (closing)", message);
        } else if (reportedFailures.contains(message)) {
            log.debug("{}; still failing, retrying in {}", message, options.retryDelay());
        } else {
            log.warn("{}; retrying in {}", message, options.retryDelay());
        }
    }

    /** A failed call's reason for the log: the HTTP status and the API server's message, or the client's error. */
    static String reason(KubernetesClientException e) {
        if (e.getCode() <= 0) {
            return e.getCause() != null ? e.getMessage() + " (" + e.getCause() + ")" : e.getMessage();
        }
        String message = e.getStatus() != null && e.getStatus().getMessage() != null
                ? e.getStatus().getMessage()
                : e.getMessage();
        return "HTTP " + e.getCode() + ": " + message;
    }

    /** Stops the loop, waiting up to 5 s for a running round. */
    void close() {
        closed = true;
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("{} still running after 5 s", roundName);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
