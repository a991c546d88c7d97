package io.ambientjava.perf.mesh;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Many empty network namespaces (loopback only) for the enrollment-at-scale figure, made and deleted with one
 * {@code ip -batch} each, so a thousand cost seconds, not a thousand processes. Names carry this JVM's pid.
 */
final class BareNetnsSet implements AutoCloseable {
    private static final int BATCH_TIMEOUT_SECONDS = 120;

    private final List<String> names;

    private BareNetnsSet(List<String> names) {
        this.names = names;
    }

    static BareNetnsSet create(String tag, int count) throws IOException, InterruptedException {
        String prefix = "ajperf-" + ProcessHandle.current().pid() + "-" + tag + "-";
        List<String> names = IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
        BareNetnsSet set = new BareNetnsSet(new ArrayList<>(names));
        try {
            batch(names.stream().map(n -> "netns add " + n).toList());
        } catch (IOException | RuntimeException e) {
            set.close();
            throw e;
        }
        return set;
    }

    List<Path> paths() {
        return names.stream().map(n -> Path.of("/var/run/netns", n)).toList();
    }

    /** Deletes every namespace; {@code -force} goes on past ones that were never made (a failed create). */
    @Override
    public void close() {
        try {
            batch(names.stream().map(n -> "netns del " + n).toList());
        } catch (IOException e) {
            System.err.println("mesh: deleting namespaces " + names.getFirst() + " ... reported: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void batch(List<String> lines) throws IOException, InterruptedException {
        Process ip = new ProcessBuilder("ip", "-force", "-batch", "-")
                .redirectErrorStream(true)
                .start();
        try (OutputStream in = ip.getOutputStream()) {
            in.write((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(ip.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!ip.waitFor(BATCH_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            ip.destroyForcibly();
            throw new IOException("ip -batch did not finish within " + BATCH_TIMEOUT_SECONDS + " s");
        }
        if (ip.exitValue() != 0) {
            throw new IOException("ip -batch failed (exit " + ip.exitValue() + "): " + output.strip());
        }
    }
}
