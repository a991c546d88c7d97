package io.ambientjava.perf.mesh;

import io.ambientjava.bpf.CgroupV2;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * A cgroup v2 child holding the benchmark JVM, and so the ztunnels it starts afterwards: the eBPF
 * redirection's cgroup programs attach here rather than at the root, so the rest of the (shared) machine
 * never meets them. {@link #close()} moves the JVM back and removes the child; its children must have ended.
 */
final class BenchmarkCgroup implements AutoCloseable {
    private static final String PREFIX = "ambient-perf-";

    private final Path path;
    private final Path original;

    private BenchmarkCgroup(Path path, Path original) {
        this.path = path;
        this.original = original;
    }

    static BenchmarkCgroup enter() throws IOException {
        Path root = CgroupV2.root();
        removeStale(root);
        Path original = root.resolve(currentCgroup().substring(1));
        Path path = Files.createDirectory(
                root.resolve(PREFIX + UUID.randomUUID().toString().substring(0, 8)));
        try {
            moveJvmTo(path);
        } catch (IOException e) {
            Files.delete(path);
            throw e;
        }
        return new BenchmarkCgroup(path, original);
    }

    Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        moveJvmTo(original);
        Files.delete(path);
    }

    /** Empty benchmark cgroups older than ten minutes are leftovers of a killed run. */
    private static void removeStale(Path root) throws IOException {
        Instant cutoff = Instant.now().minus(Duration.ofMinutes(10));
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(root, PREFIX + "*")) {
            for (Path cgroup : stale) {
                try {
                    if (Files.getLastModifiedTime(cgroup).toInstant().isBefore(cutoff)
                            && Files.readString(cgroup.resolve("cgroup.procs")).isBlank()) {
                        Files.delete(cgroup);
                    }
                } catch (IOException e) {
                    // Still in use; a later run tries again.
                }
            }
        }
    }

    private static String currentCgroup() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/cgroup")).stream()
                .filter(line -> line.startsWith("0::"))
                .map(line -> line.substring(3))
                .findFirst()
                .orElseThrow(() -> new IOException("this process is in no cgroup v2"));
    }

    private static void moveJvmTo(Path cgroup) throws IOException {
        Files.writeString(
                cgroup.resolve("cgroup.procs"),
                Long.toString(ProcessHandle.current().pid()));
    }
}
