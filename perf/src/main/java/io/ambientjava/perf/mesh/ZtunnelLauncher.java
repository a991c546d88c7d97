package io.ambientjava.perf.mesh;

import io.ambientjava.perf.proc.JvmCommand;
import io.ambientjava.testing.netns.Node;
import io.ambientjava.testing.netns.Pod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts the real ztunnel process ({@code java <jvm options> -jar ztunnel.jar}) inside a node's namespace with
 * a local config, a plugged-in CA, its node's pods and ephemeral admin/metrics/readiness ports, and waits for
 * its machine-readable ready line.
 */
public final class ZtunnelLauncher {

    /**
     * JVM options for a small L4 proxy: a heap sized for connection state, not for throughput buffers; Serial GC
     * (one or two cores, small short-lived garbage, no GC threads); C1 only (C2's compiler arenas and code cache
     * cost tens of MiB of RSS); small thread stacks; compact object headers; one Netty arena.
     */
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of(
            "-Xms24m",
            "-Xmx48m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:ReservedCodeCacheSize=24m",
            "-XX:MaxMetaspaceSize=96m",
            "-XX:MaxDirectMemorySize=32m",
            "-Xss256k",
            "-XX:+UseCompactObjectHeaders",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dio.netty.allocator.numDirectArenas=1",
            "-Dio.netty.allocator.numHeapArenas=1",
            "-Dio.netty.leakDetection.level=disabled",
            "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow");

    private static final String READY_PREFIX = "ztunnel ready ";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final Path jar;
    private final List<String> jvmOptions;
    private final List<String> ztunnelOptions;

    public ZtunnelLauncher(Path jar, List<String> jvmOptions) {
        this(jar, jvmOptions, List.of());
    }

    /** With extra ztunnel options (e.g. {@code --inbound-source=POD_ADDRESS}). */
    public ZtunnelLauncher(Path jar, List<String> jvmOptions, List<String> ztunnelOptions) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("ztunnel jar " + jar + " does not exist; build it with"
                    + " `./mvnw -B -q -pl ztunnel-java install -DskipTests` or pass --ztunnel-jar");
        }
        this.jar = jar;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.ztunnelOptions = List.copyOf(ztunnelOptions);
    }

    /** The first of {@code candidates} that is a file, else the first candidate (which then fails clearly). */
    public static Path locateJar(List<Path> candidates) {
        return candidates.stream().filter(Files::isRegularFile).findFirst().orElse(candidates.getFirst());
    }

    /**
     * The command line. Options shaped {@code NAME=value} are environment variables (e.g. {@code MALLOC_ARENA_MAX=2}):
     * they go before java through {@code env}, which execs java, so the pid stays the proxy's.
     */
    public List<String> command(String node, Path config, Path caDir, List<Pod> pods) {
        List<String> command = new ArrayList<>(JvmCommand.start(javaBinary(), jvmOptions));
        command.addAll(List.of(
                "-jar",
                jar.toAbsolutePath().toString(),
                "--node=" + node,
                "--local-config=" + config,
                "--ca-dir=" + caDir,
                "--admin-port=0",
                "--metrics-port=0",
                "--readiness-port=0",
                "--drain-timeout=1s"));
        command.addAll(ztunnelOptions);
        for (Pod pod : pods) {
            command.add("--pod=Kubernetes//Pod/default/" + pod.name() + "=" + pod.netnsPath());
        }
        return command;
    }

    /** Starts ztunnel for {@code node}'s {@code pods} and returns once it has printed its ready line. */
    public ProxyProcess start(Node node, Path config, Path caDir, List<Pod> pods) throws InterruptedException {
        ProxyProcess process = new ProxyProcess(
                "ztunnel@" + node.name(),
                node.start(command(node.name(), config, caDir, pods).toArray(String[]::new)));
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (process.started().log().lines().anyMatch(l -> l.startsWith(READY_PREFIX))) {
                return process;
            }
            process.checkAlive();
            Thread.sleep(100);
        }
        throw new IllegalStateException(process.name() + " printed no ready line within " + READY_TIMEOUT + ":\n"
                + process.started().log());
    }

    static String javaBinary() {
        return ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
