package io.ambientjava.bpf;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * A cgroup v2 child created for one test, holding this JVM while it lives: the cgroup programs are attached
 * here instead of at the root, so only the test's own sockets meet them. Closing moves the JVM back to the
 * cgroup it came from and removes the child.
 */
final class TestCgroup implements AutoCloseable {
    private static final String PREFIX = "ambient-test-";

    private final Path path;
    private final Path original;

    private TestCgroup(Path path, Path original) {
        this.path = path;
        this.original = original;
    }

    static TestCgroup enter() throws IOException {
        Path root = CgroupV2.root();
        sweepStale(root);
        Path original = root.resolve(currentCgroup().substring(1));
        Path path = root.resolve(PREFIX + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectory(path);
        try {
            moveSelf(path);
        } catch (IOException e) {
            Files.delete(path);
            throw e;
        }
        return new TestCgroup(path, original);
    }

    /** Removes what a killed test JVM left: empty test cgroups older than ten minutes. */
    private static void sweepStale(Path root) throws IOException {
        Instant cutoff = Instant.now().minus(Duration.ofMinutes(10));
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(root, PREFIX + "*")) {
            for (Path cgroup : stale) {
                if (Files.getLastModifiedTime(cgroup).toInstant().isBefore(cutoff)
                        && Files.readString(cgroup.resolve("cgroup.procs")).isBlank()) {
                    try {
                        Files.delete(cgroup);
                    } catch (IOException e) {
                        // Still in use after all; a later run tries again.
                    }
                }
            }
        }
    }

    Path path() {
        return path;
    }

    /** This process's cgroup v2 path ({@code 0::/...} in /proc/self/cgroup). */
    private static String currentCgroup() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/cgroup")).stream()
                .filter(line -> line.startsWith("0::"))
                .map(line -> line.substring(3))
                .findFirst()
                .orElseThrow(() -> new IOException("this process has no cgroup v2 membership"));
    }

    private static void moveSelf(Path cgroup) throws IOException {
        Files.writeString(
                cgroup.resolve("cgroup.procs"),
                Long.toString(ProcessHandle.current().pid()));
    }

    @Override
    public void close() throws IOException {
        moveSelf(original);
        Files.delete(path);
    }
}
