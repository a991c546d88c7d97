package io.ambientjava.istiod.deploy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a controller in one istiod-lite replica at a time, as istiod runs its namespace, validation and gateway
 * deployment controllers: the replicas hold an election on a Lease (coordination.k8s.io) in istiod-lite's namespace,
 * the winner starts the controller and renews the Lease, and when it stops renewing (it exits, it loses the API
 * server for longer than the renew deadline) it closes the controller and another replica takes over once the Lease
 * has expired. A replica closing normally gives the Lease up at once, so a rolling update hands over without waiting
 * for the expiry. A replica that lost the Lease stands again for it.
 *
 * <p>The controllers converge on their own (they compare with what is in the cluster before writing), so two leaders
 * for a moment (a partition) cost duplicate writes, not wrong ones; the election is there to keep N replicas from
 * doing N times the work and fighting over conflicts.
 */
public final class ControllerElection<T extends AutoCloseable> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ControllerElection.class);

    /** How long a Lease is held without renewal, how long a leader keeps trying to renew, and how often it tries. */
    public record Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
        public Timing {
            Objects.requireNonNull(leaseDuration, "leaseDuration");
            Objects.requireNonNull(renewDeadline, "renewDeadline");
            Objects.requireNonNull(retryPeriod, "retryPeriod");
            // fabric8's elector waits up to 2.2 retry periods (a period and its jitter) between tries
            if (!(leaseDuration.compareTo(renewDeadline) > 0
                            && renewDeadline.toNanos() > retryPeriod.toNanos() * 22 / 10)
                    || retryPeriod.isNegative()
                    || retryPeriod.isZero()) {
                throw new IllegalArgumentException(
                        "need leaseDuration > renewDeadline > 2.2 × retryPeriod > 0, got " + this);
            }
        }

        /**
         * A 30 s Lease renewed for up to 15 s, as istiod's; tried every 5 s (istiod: 7.5 s, which fabric8's elector
         * refuses with a 15 s renew deadline).
         */
        public static Timing defaults() {
            return new Timing(Duration.ofSeconds(30), Duration.ofSeconds(15), Duration.ofSeconds(5));
        }
    }

    private final KubernetesClient client;
    private final String namespace;
    private final String lease;
    private final String identity;
    private final Timing timing;
    private final Supplier<T> controllerFactory;
    private final CountDownLatch firstOutcome = new CountDownLatch(1);

    private volatile boolean closed;
    private volatile String leader;
    private volatile LeaderElector elector;
    private volatile CompletableFuture<?> running;
    private T controller; // guarded by this

    private ControllerElection(
            KubernetesClient client,
            String namespace,
            String lease,
            String identity,
            Timing timing,
            Supplier<T> controllerFactory) {
        this.client = client;
        this.namespace = namespace;
        this.lease = lease;
        this.identity = identity;
        this.timing = timing;
        this.controllerFactory = controllerFactory;
    }

    /**
     * Stands for the Lease {@code lease} in {@code namespace} as {@code identity} (unique per replica), starting the
     * controller from {@code controllerFactory} whenever this replica leads. Returns once the first outcome is known
     * (this replica leads and runs the controller, or another one leads) or after {@code firstOutcomeWait}.
     */
    public static <T extends AutoCloseable> ControllerElection<T> start(
            KubernetesClient client,
            String namespace,
            String lease,
            String identity,
            Timing timing,
            Supplier<T> controllerFactory,
            Duration firstOutcomeWait) {
        ControllerElection<T> election = new ControllerElection<>(
                Objects.requireNonNull(client, "client"),
                Objects.requireNonNull(namespace, "namespace"),
                Objects.requireNonNull(lease, "lease"),
                Objects.requireNonNull(identity, "identity"),
                Objects.requireNonNull(timing, "timing"),
                Objects.requireNonNull(controllerFactory, "controllerFactory"));
        election.stand();
        try {
            election.firstOutcome.await(firstOutcomeWait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return election;
    }

    private void stand() {
        LeaderElector next = client.leaderElector()
                .withConfig(new LeaderElectionConfigBuilder()
                        .withName(lease)
                        .withLock(new LeaseLock(namespace, lease, identity))
                        .withLeaseDuration(timing.leaseDuration())
                        .withRenewDeadline(timing.renewDeadline())
                        .withRetryPeriod(timing.retryPeriod())
                        .withReleaseOnCancel(true)
                        .withLeaderCallbacks(
                                new LeaderCallbacks(this::startedLeading, this::stoppedLeading, this::newLeader))
                        .build())
                .build();
        elector = next;
        running = next.start();
        running.whenComplete((ignored, error) -> {
            if (closed) {
                return;
            }
            log.warn(
                    "Lease {}/{}: the election ended ({}); standing again in {}",
                    namespace,
                    lease,
                    error == null ? "leadership lost" : error.toString(),
                    timing.retryPeriod());
            stoppedLeading();
            // After a retry period, as the elector's own tries: an election that keeps ending at once (the API
            // server refusing every call) must not become a busy loop.
            CompletableFuture.delayedExecutor(timing.retryPeriod().toNanos(), TimeUnit.NANOSECONDS)
                    .execute(() -> {
                        if (!closed) {
                            stand();
                        }
                    });
        });
    }

    private synchronized void startedLeading() {
        if (closed || controller != null) {
            return;
        }
        log.info("Lease {}/{}: {} leads, starting its controller", namespace, lease, identity);
        try {
            controller = controllerFactory.get();
        } catch (RuntimeException e) {
            log.error("Lease {}/{}: the controller failed to start", namespace, lease, e);
        } finally {
            firstOutcome.countDown();
        }
    }

    private synchronized void stoppedLeading() {
        if (controller == null) {
            return;
        }
        log.info("Lease {}/{}: {} no longer leads, stopping its controller", namespace, lease, identity);
        try {
            controller.close();
        } catch (Exception e) {
            log.warn("Lease {}/{}: closing the controller failed", namespace, lease, e);
        }
        controller = null;
    }

    private void newLeader(String holder) {
        leader = holder;
        if (!identity.equals(holder)) {
            log.info("Lease {}/{}: {} leads; this replica ({}) stands by", namespace, lease, holder, identity);
            firstOutcome.countDown();
        }
    }

    /** The controller, while this replica leads. */
    public synchronized Optional<T> controller() {
        return Optional.ofNullable(controller);
    }

    /** The holder of the Lease as this replica last saw it. */
    public Optional<String> leader() {
        return Optional.ofNullable(leader);
    }

    public String identity() {
        return identity;
    }

    /** Stops the controller and gives the Lease up, so another replica can lead at once. */
    @Override
    public void close() {
        closed = true;
        CompletableFuture<?> election = running;
        if (election != null) {
            election.cancel(true);
        }
        stoppedLeading();
        LeaderElector current = elector;
        if (current != null) {
            try {
                current.release();
            } catch (RuntimeException e) {
                log.debug("Lease {}/{}: releasing failed: {}", namespace, lease, e.toString());
            }
        }
    }
}
