package io.ambientjava.istiod.translate.envoy;

import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.fabric8.istio.api.api.networking.v1alpha3.Percent;

/**
 * Istio percentages as Envoy wants them. A {@code Percent} (a double, 0–100) becomes a {@link FractionalPercent}
 * per million, so 0.1% stays exact; the deprecated integer fields ({@code percent}, {@code mirrorPercent}) the same
 * way. Out-of-range values are clamped.
 */
final class Percentages {

    private Percentages() {}

    static FractionalPercent of(Percent percent) {
        return ofDouble(percent == null || percent.getValue() == null ? 0 : percent.getValue());
    }

    static FractionalPercent ofDouble(double value) {
        double clamped = Math.max(0, Math.min(100, value));
        return FractionalPercent.newBuilder()
                .setNumerator((int) Math.round(clamped * 10_000))
                .setDenominator(FractionalPercent.DenominatorType.MILLION)
                .build();
    }

    /** The deprecated integer spellings; per million too, so both spellings give the same Envoy config. */
    static FractionalPercent ofInteger(int percent) {
        return ofDouble(percent);
    }

    static FractionalPercent all() {
        return ofDouble(100);
    }

    static RuntimeFractionalPercent runtime(FractionalPercent percent) {
        return RuntimeFractionalPercent.newBuilder().setDefaultValue(percent).build();
    }
}
