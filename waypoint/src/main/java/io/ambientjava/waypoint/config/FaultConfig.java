package io.ambientjava.waypoint.config;

import java.time.Duration;
import java.util.Optional;

/** Envoy's {@code HTTPFault}: an optional delay and an optional abort, each applied to a fraction of requests. */
public record FaultConfig(Optional<Delay> delay, Optional<Abort> abort) {

    public record Delay(Duration duration, double fraction) {}

    /** Exactly one of {@code httpStatus} and {@code grpcStatus} is present. */
    public record Abort(Optional<Integer> httpStatus, Optional<Integer> grpcStatus, double fraction) {}
}
