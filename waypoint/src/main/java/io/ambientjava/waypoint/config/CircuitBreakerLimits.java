package io.ambientjava.waypoint.config;

import java.util.Optional;

/**
 * Envoy's {@code CircuitBreakers.Thresholds} for the DEFAULT priority (defaults 1024, 1024, 1024, 3).
 *
 * @param retryBudget when present it replaces {@code maxRetries}: active retries may be at most
 *     {@code percent}% of active requests, but always at least {@code minConcurrency}
 */
public record CircuitBreakerLimits(
        int maxConnections,
        int maxPendingRequests,
        int maxRequests,
        int maxRetries,
        Optional<RetryBudget> retryBudget) {

    public static final CircuitBreakerLimits DEFAULTS = new CircuitBreakerLimits(1024, 1024, 1024, 3, Optional.empty());

    public record RetryBudget(double percent, int minConcurrency) {}
}
