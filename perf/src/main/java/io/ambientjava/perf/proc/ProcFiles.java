package io.ambientjava.perf.proc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a live process's CPU and memory figures from {@code /proc}. */
public final class ProcFiles {

    private final Path root;

    public ProcFiles(Path root) {
        this.root = root;
    }

    public static ProcFiles system() {
        return new ProcFiles(Path.of("/proc"));
    }

    public CpuTicks cpu(long pid) {
        return CpuTicks.parseStat(read(pid, "stat"));
    }

    public MemoryStatus memory(long pid) {
        return MemoryStatus.parseStatus(read(pid, "status"));
    }

    /** Busy ticks of all CPUs together since boot. */
    public SystemCpuTicks systemCpu() {
        try {
            return SystemCpuTicks.parseStat(Files.readString(root.resolve("stat")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + root.resolve("stat"), e);
        }
    }

    /** The first three fields of {@code /proc/loadavg} (1, 5 and 15 minute load averages). */
    public String loadAverage() {
        try {
            String[] fields = Files.readString(root.resolve("loadavg")).trim().split("\\s+");
            if (fields.length < 3) {
                throw new IllegalArgumentException("unexpected /proc/loadavg content: " + String.join(" ", fields));
            }
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + root.resolve("loadavg"), e);
        }
    }

    private String read(long pid, String name) {
        Path file = root.resolve(Long.toString(pid)).resolve(name);
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " (has process " + pid + " exited?)", e);
        }
    }
}
