package io.ambientjava.cni.runtime;

import io.ambientjava.bpf.CgroupV2;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * A cgroup v2 child holding this JVM (and so every process it starts afterwards, ztunnel included) while a
 * test runs: eBPF cgroup programs attached here meet only the test's sockets, never the rest of the machine.
 * {@link #close()} moves the JVM back where it was and removes the child; processes started meanwhile must
 * have ended by then.
 */
public final class JvmCgroup implements AutoCloseable {
    private static final String PREFIX = "ajcni-test-";

    private final Path path;
    private final Path original;

    private JvmCgroup(Path path, Path original) {
        this.path = path;
        this.original = original;
    }

    public static JvmCgroup enter() throws IOException {
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
        return new JvmCgroup(path, original);
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        moveJvmTo(original);
        Files.delete(path);
    }

    /** Empty test cgroups older than ten minutes were left by a killed run. */
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
                    // In use after all; a later run tries again.
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
