package io.ambientjava.zds;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** A named network namespace made with {@code ip netns add} for one test, deleted on close. */
final class TestNetns implements AutoCloseable {
    private final String name;

    private TestNetns(String name) {
        this.name = name;
    }

    static TestNetns create() throws IOException, InterruptedException {
        String name = "ajzds-" + ProcessHandle.current().pid() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        run("ip", "netns", "add", name);
        return new TestNetns(name);
    }

    String name() {
        return name;
    }

    Path path() {
        return Path.of("/var/run/netns", name);
    }

    Object inode() throws IOException {
        return Files.getAttribute(path(), "unix:ino");
    }

    @Override
    public void close() throws Exception {
        run("ip", "netns", "del", name);
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " timed out");
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: "
                    + new String(process.getInputStream().readAllBytes()));
        }
    }
}
