package io.ambientjava.waypoint.config;

import java.time.Duration;

/**
 * Envoy's {@code OutlierDetection}, consecutive-error part. An ejected host stays out for
 * {@code baseEjectionTime} times the number of times it was ejected, at most {@code maxEjectionTime}. With
 * {@code splitExternalLocalOriginErrors}, failures to connect, resets and timeouts count apart from 5xx answers
 * ({@code consecutiveLocalOriginFailure}).
 */
public record OutlierConfig(
        int consecutive5xx,
        int consecutiveGatewayFailure,
        int enforcingConsecutive5xx,
        int enforcingConsecutiveGatewayFailure,
        Duration interval,
        Duration baseEjectionTime,
        Duration maxEjectionTime,
        int maxEjectionPercent,
        boolean splitExternalLocalOriginErrors,
        int consecutiveLocalOriginFailure,
        int enforcingConsecutiveLocalOriginFailure) {}
