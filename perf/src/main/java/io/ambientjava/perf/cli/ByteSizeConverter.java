package io.ambientjava.perf.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Reads byte counts with binary units: {@code 2GiB}, {@code 512MiB}, {@code 64KiB}, or a plain number. */
public final class ByteSizeConverter implements CommandLine.ITypeConverter<Long> {

    private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(b|kib|mib|gib)?");

    @Override
    public Long convert(String text) {
        return parse(text);
    }

    public static long parse(String text) {
        Matcher matcher = FORM.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!matcher.matches()) {
            throw new CommandLine.TypeConversionException(
                    "'" + text + "' is not a byte size (examples: 1048576, 64KiB, 512MiB, 2GiB)");
        }
        String unit = matcher.group(2) == null ? "b" : matcher.group(2);
        int shift = switch (unit) {
            case "kib" -> 10;
            case "mib" -> 20;
            case "gib" -> 30;
            default -> 0;
        };
        long amount;
        try {
            amount = Long.parseLong(matcher.group(1));
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("byte size '" + text + "' is too large");
        }
        if (amount > (Long.MAX_VALUE >> shift)) {
            throw new CommandLine.TypeConversionException("byte size '" + text + "' is too large");
        }
        return amount << shift;
    }
}
