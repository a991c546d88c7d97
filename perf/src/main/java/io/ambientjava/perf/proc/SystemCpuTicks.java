package io.ambientjava.perf.proc;

/**
 * Busy time of all CPUs together, from the first ({@code cpu}) line of {@code /proc/stat}, in clock ticks: user,
 * nice, system, irq, softirq and steal (guest time is already inside user and nice; idle and iowait are not busy).
 */
public record SystemCpuTicks(long busy) {

    /** Parses the text of {@code /proc/stat}. */
    public static SystemCpuTicks parseStat(String stat) {
        String first = stat.lines().findFirst().orElse("");
        String[] fields = first.trim().split("\\s+");
        if (fields.length < 9 || !fields[0].equals("cpu")) {
            throw new IllegalArgumentException("/proc/stat does not start with an aggregate 'cpu' line of at least"
                    + " 8 counters: '" + first + "'");
        }
        try {
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) { // user nice system (idle iowait) irq softirq steal
                busy += Long.parseLong(fields[i]);
            }
            return new SystemCpuTicks(busy);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "/proc/stat cpu line has a counter that is not a number: '" + first + "'", e);
        }
    }
}
