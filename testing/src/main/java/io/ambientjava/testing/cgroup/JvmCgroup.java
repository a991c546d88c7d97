package io.ambientjava.testing.cgroup;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * A cgroup v2 child holding this JVM (and so every process it starts afterwards) while a test or benchmark
 * runs: eBPF cgroup programs attached here meet only its sockets, never the rest of the machine. {@link
 * #close()} moves the JVM back where it was and removes the child; processes started meanwhile must have ended
 * by then. Children named with the same prefix, empty and older than ten minutes, are leftovers of a killed run
 * and are removed on the next {@link #enter}.
 */
public final class JvmCgroup implements AutoCloseable {
    private final Path path;
    private final Path original;

    private JvmCgroup(Path path, Path original) {
        this.path = path;
        this.original = original;
    }

    /** Creates {@code <root>/<prefix><random>} and moves this JVM into it. */
    public static JvmCgroup enter(Path root, String prefix) throws IOException {
        removeStale(root, prefix);
        Path original = root.resolve(currentCgroup().substring(1));
        Path path = Files.createDirectory(
                root.resolve(prefix + UUID.randomUUID().toString().substring(0, 8)));
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

    private static void removeStale(Path root, String prefix) throws IOException {
        Instant cutoff = Instant.now().minus(Duration.ofMinutes(10));
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(root, prefix + "*")) {
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
