package io.ambientjava.perf.proc;

import java.util.OptionalLong;

/**
 * Resident memory figures from {@code /proc/<pid>/status}.
 *
 * @param peakResidentBytes VmHWM, the high-water mark of the resident set
 * @param residentBytes VmRSS, the resident set now
 */
public record MemoryStatus(long peakResidentBytes, long residentBytes) {

    /** Parses the text of {@code /proc/<pid>/status}; both VmHWM and VmRSS must be present. */
    public static MemoryStatus parseStatus(String status) {
        OptionalLong hwm = field(status, "VmHWM");
        OptionalLong rss = field(status, "VmRSS");
        if (hwm.isEmpty() || rss.isEmpty()) {
            throw new IllegalArgumentException("/proc/<pid>/status has no " + (hwm.isEmpty() ? "VmHWM" : "VmRSS")
                    + " line (is the process a zombie or a kernel thread?)");
        }
        return new MemoryStatus(hwm.getAsLong(), rss.getAsLong());
    }

    private static OptionalLong field(String status, String name) {
        for (String line : status.split("\n")) {
            if (!line.startsWith(name + ":")) {
                continue;
            }
            String[] parts = line.substring(name.length() + 1).trim().split("\\s+");
            if (parts.length != 2 || !parts[1].equals("kB")) {
                throw new IllegalArgumentException(
                        "unexpected " + name + " line in /proc/<pid>/status: '" + line + "'");
            }
            try {
                return OptionalLong.of(Long.parseLong(parts[0]) * 1024);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " in /proc/<pid>/status is not a number: '" + line + "'", e);
            }
        }
        return OptionalLong.empty();
    }
}
