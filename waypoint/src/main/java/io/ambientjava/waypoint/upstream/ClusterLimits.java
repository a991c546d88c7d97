package io.ambientjava.waypoint.upstream;

import io.ambientjava.waypoint.config.CircuitBreakerLimits;
import java.util.concurrent.atomic.AtomicInteger;

/** The live counters behind a cluster's circuit breakers; limits come from the current config. */
public final class ClusterLimits {

    private volatile CircuitBreakerLimits limits;
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger pending = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger retries = new AtomicInteger();
    final AtomicInteger overflows = new AtomicInteger();

    ClusterLimits(CircuitBreakerLimits limits) {
        this.limits = limits;
    }

    void update(CircuitBreakerLimits newLimits) {
        limits = newLimits;
    }

    boolean tryAcquire(AtomicInteger counter, int max) {
        while (true) {
            int now = counter.get();
            if (now >= max) {
                overflows.incrementAndGet();
                return false;
            }
            if (counter.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    public boolean tryStartRequest() {
        return tryAcquire(requests, limits.maxRequests());
    }

    public void endRequest() {
        requests.decrementAndGet();
    }

    boolean tryOpenConnection() {
        return tryAcquire(connections, limits.maxConnections());
    }

    void connectionClosed() {
        connections.decrementAndGet();
    }

    boolean tryAddPending() {
        return tryAcquire(pending, limits.maxPendingRequests());
    }

    void pendingDone() {
        pending.decrementAndGet();
    }

    /** A retry may start if the retry budget (when set) or max_retries allows another concurrent retry. */
    public boolean tryStartRetry() {
        int max = limits.retryBudget()
                .map(b -> Math.max(b.minConcurrency(), (int) (requests.get() * b.percent() / 100.0)))
                .orElse(limits.maxRetries());
        return tryAcquire(retries, max);
    }

    public void endRetry() {
        retries.decrementAndGet();
    }

    public int activeRequests() {
        return requests.get();
    }

    public int openConnections() {
        return connections.get();
    }

    public int overflows() {
        return overflows.get();
    }
}
