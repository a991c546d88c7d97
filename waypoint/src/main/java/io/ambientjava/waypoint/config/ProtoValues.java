package io.ambientjava.waypoint.config;

import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.time.Duration;

/** Conversions of common protobuf/Envoy value types. */
final class ProtoValues {

    private ProtoValues() {}

    static Duration duration(com.google.protobuf.Duration d) {
        return Duration.ofSeconds(d.getSeconds(), d.getNanos());
    }

    /** A fraction in [0, 1]. */
    static double fraction(FractionalPercent percent, String path) {
        double denominator = switch (percent.getDenominator()) {
            case HUNDRED -> 100.0;
            case TEN_THOUSAND -> 10_000.0;
            case MILLION -> 1_000_000.0;
            default -> throw FieldGuard.invalid(path + ".denominator", "unknown denominator");
        };
        return Math.min(1.0, percent.getNumerator() / denominator);
    }
}
