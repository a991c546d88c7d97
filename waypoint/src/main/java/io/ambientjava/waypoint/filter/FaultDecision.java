package io.ambientjava.waypoint.filter;

import io.ambientjava.waypoint.config.FaultConfig;
import java.time.Duration;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * The fault filter's choice for one request: a delay and/or an abort, each rolled independently against its
 * percentage, as Envoy's fault filter does (delay first, then abort).
 */
public record FaultDecision(Optional<Duration> delay, Optional<FaultConfig.Abort> abort) {

    public static final FaultDecision NONE = new FaultDecision(Optional.empty(), Optional.empty());

    /** @param random uniform in [0, 1) */
    public static FaultDecision roll(FaultConfig fault, DoubleSupplier random) {
        Optional<Duration> delay =
                fault.delay().filter(d -> random.getAsDouble() < d.fraction()).map(FaultConfig.Delay::duration);
        Optional<FaultConfig.Abort> abort = fault.abort().filter(a -> random.getAsDouble() < a.fraction());
        return new FaultDecision(delay, abort);
    }
}
