package io.ambientjava.perf.controlplane;

import io.ambientjava.perf.proc.MemoryStatus;
import io.ambientjava.perf.proc.ProcFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** istiod-lite's runnable jar as a child process on a config folder, plaintext xDS on a free loopback port. */
final class IstiodProcess implements AutoCloseable {

    private static final Pattern READY = Pattern.compile("istiod-lite ready: .*plaintext 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern HEAP_USED = Pattern.compile("garbage-first heap\\s+total.*?used (\\d+)K");

    private final Process process;
    private final Path log;
    private final int xdsPort;

    private IstiodProcess(Process process, Path log, int xdsPort) {
        this.process = process;
        this.log = log;
        this.xdsPort = xdsPort;
    }

    static IstiodProcess start(Path jar, Path configDir, List<String> jvmOptions, Duration debounce, Path log)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(javaBinary().toString());
        command.addAll(jvmOptions);
        command.addAll(List.of(
                "-jar",
                jar.toString(),
                "--config-dir",
                configDir.toString(),
                "--xds-port",
                "0",
                "--tls-port",
                "-1",
                "--monitoring-port",
                "-1",
                "--debounce-ms",
                Long.toString(debounce.toMillis())));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            Matcher ready = READY.matcher(Files.readString(log));
            if (ready.find()) {
                return new IstiodProcess(process, log, Integer.parseInt(ready.group(1)));
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("istiod-lite exited with " + process.exitValue() + ":\n" + tail(log));
            }
            Thread.sleep(50);
        }
        process.destroyForcibly();
        throw new IllegalStateException("istiod-lite printed no ready line within 120 s:\n" + tail(log));
    }

    int xdsPort() {
        return xdsPort;
    }

    long pid() {
        return process.pid();
    }

    MemoryStatus memory() {
        return ProcFiles.system().memory(process.pid());
    }

    /** Java heap in use right after a full collection, in bytes, through {@code jcmd}. */
    long heapUsedAfterFullGc() throws IOException, InterruptedException {
        jcmd("GC.run");
        String info = jcmd("GC.heap_info");
        Matcher used = HEAP_USED.matcher(info.replace('\n', ' '));
        if (!used.find()) {
            throw new IllegalStateException("cannot read the heap use from jcmd GC.heap_info:\n" + info);
        }
        return Long.parseLong(used.group(1)) * 1024;
    }

    void checkAlive() throws IOException {
        if (!process.isAlive()) {
            throw new IllegalStateException("istiod-lite exited with " + process.exitValue() + ":\n" + tail(log));
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private String jcmd(String what) throws IOException, InterruptedException {
        Path jcmd = javaBinary().resolveSibling("jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), what)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + what + " failed:\n" + out);
        }
        return out;
    }

    private static Path javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
