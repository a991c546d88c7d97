package io.ambientjava.perf.proc;

/**
 * A process's CPU time as {@code /proc/<pid>/stat} counts it, in clock ticks.
 *
 * @param user ticks in user mode (field 14, utime)
 * @param system ticks in kernel mode (field 15, stime)
 */
public record CpuTicks(long user, long system) {

    public CpuTicks {
        if (user < 0 || system < 0) {
            throw new IllegalArgumentException("CPU ticks must not be negative: user=" + user + ", system=" + system);
        }
    }

    public long total() {
        return user + system;
    }

    public double totalSeconds(long ticksPerSecond) {
        return (double) total() / ticksPerSecond;
    }

    /** Parses the text of {@code /proc/<pid>/stat}. */
    public static CpuTicks parseStat(String stat) {
        // The command name (field 2) is in parentheses and may itself hold spaces and ')': fields after it start
        // after the last ')'.
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException(
                    "not a /proc/<pid>/stat line (no ')' after the command name): '" + abbreviate(stat) + "'");
        }
        String[] rest = stat.substring(close + 1).trim().split("\\s+");
        // rest[0] is field 3 (state), so field n is rest[n - 3].
        if (rest.length < 13) {
            throw new IllegalArgumentException("/proc/<pid>/stat line has " + (rest.length + 2)
                    + " fields, expected at least 15: '" + abbreviate(stat) + "'");
        }
        try {
            return new CpuTicks(Long.parseLong(rest[14 - 3]), Long.parseLong(rest[15 - 3]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "utime/stime in /proc/<pid>/stat are not numbers: '" + abbreviate(stat) + "'", e);
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 120 ? text : text.substring(0, 120) + "...";
    }
}
