package io.ambientjava.istiod.config;

import com.google.protobuf.Duration;
import java.math.BigDecimal;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Istio duration text ({@code 3s}, {@code 0.5s}, {@code 500ms}, {@code 1m30s}: Go's duration syntax, which Istio
 * accepts besides protobuf's seconds form) as a protobuf {@link Duration}.
 */
public final class IstioDurations {

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|us|µs|ns|h|m|s)");

    private IstioDurations() {}

    /** Empty for null or empty text; an exception naming the text when it is not a duration. */
    public static Optional<Duration> parse(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        String trimmed = text.trim();
        Matcher matcher = PART.matcher(trimmed);
        BigDecimal nanos = BigDecimal.ZERO;
        int end = 0;
        while (matcher.find() && matcher.start() == end) {
            BigDecimal value = new BigDecimal(matcher.group(1));
            long unit = switch (matcher.group(2)) {
                case "h" -> 3_600_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "s" -> 1_000_000_000L;
                case "ms" -> 1_000_000L;
                case "us", "µs" -> 1_000L;
                default -> 1L;
            };
            nanos = nanos.add(value.multiply(BigDecimal.valueOf(unit)));
            end = matcher.end();
        }
        if (end != trimmed.length() || end == 0) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (like 3s, 500ms, 1m30s)");
        }
        long total = nanos.longValue();
        return Optional.of(Duration.newBuilder()
                .setSeconds(total / 1_000_000_000L)
                .setNanos((int) (total % 1_000_000_000L))
                .build());
    }
}
