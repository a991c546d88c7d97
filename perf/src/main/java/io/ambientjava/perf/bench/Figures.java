package io.ambientjava.perf.bench;

import java.util.Locale;
import java.util.OptionalDouble;

/** How numbers look in the results table: a few significant digits, no locale surprises. */
final class Figures {

    static final String MISSING = "—";

    private Figures() {}

    /** 12345 → "12345", 123.456 → "123", 12.345 → "12.3", 1.2345 → "1.23", 0.012345 → "0.0123". */
    static String number(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return MISSING;
        }
        double magnitude = Math.abs(value);
        if (magnitude >= 100 || magnitude == 0) {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        if (magnitude >= 10) {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        if (magnitude >= 1) {
            return String.format(Locale.ROOT, "%.2f", value);
        }
        return String.format(Locale.ROOT, "%.3g", value);
    }

    static String number(OptionalDouble value) {
        return value.isPresent() ? number(value.getAsDouble()) : MISSING;
    }

    /** The ratio of two figures, as "1.23×"; missing when either is missing or the divisor is zero. */
    static String ratio(OptionalDouble numerator, OptionalDouble denominator) {
        if (numerator.isEmpty() || denominator.isEmpty() || denominator.getAsDouble() == 0) {
            return MISSING;
        }
        return String.format(Locale.ROOT, "%.2f×", numerator.getAsDouble() / denominator.getAsDouble());
    }
}
