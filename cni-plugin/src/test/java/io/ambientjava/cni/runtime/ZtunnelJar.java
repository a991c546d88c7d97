package io.ambientjava.cni.runtime;

import io.ambientjava.cni.install.CniInstaller;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * ztunnel-java's shaded jar run as its own process, taking pods from the node agent over ZDS and workloads from a
 * local config file, as on a node. The jar is {@code -Dztunnel.jar=...}, else {@code
 * ../ztunnel-java/target/ztunnel.jar}; tests are skipped when it is missing or predates {@code --zds-socket}.
 */
public final class ZtunnelJar implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final Path log;
    private final int metricsPort;

    private ZtunnelJar(Process process, Path log, int metricsPort) {
        this.process = process;
        this.log = log;
        this.metricsPort = metricsPort;
    }

    /** The jar to run; skips the calling test when there is none that speaks ZDS. */
    public static Path assumeJar() throws Exception {
        Path jar = Path.of(System.getProperty("ztunnel.jar", "../ztunnel-java/target/ztunnel.jar"));
        Assumptions.assumeTrue(Files.isRegularFile(jar), "needs ztunnel-java's shaded jar at " + jar.toAbsolutePath());
        Process help = new ProcessBuilder(CniInstaller.currentJava().toString(), "-jar", jar.toString(), "--help")
                .redirectErrorStream(true)
                .start();
        String text = new String(help.getInputStream().readAllBytes());
        help.waitFor(30, TimeUnit.SECONDS);
        Assumptions.assumeTrue(text.contains("--zds-socket"), jar + " predates --zds-socket");
        return jar.toAbsolutePath();
    }

    /**
     * Starts ztunnel and waits for its "ready" line. {@code caDir} holds the mesh CA: made on the first start
     * (--ca-out), reused afterwards (--ca-dir), so certificates stay valid across restarts.
     */
    public static ZtunnelJar start(Path jar, Path zdsSocket, Path localConfig, Path caDir, Path log) throws Exception {
        return start(jar, zdsSocket, localConfig, caDir, log, List.of());
    }

    /**
     * {@link #start(Path, Path, Path, Path, Path)} with extra command-line options. The admin ports are picked free
     * here and bound by the child a moment later, so another process may take one in between: such a start is
     * tried again on new ports (a few times at most).
     */
    public static ZtunnelJar start(
            Path jar, Path zdsSocket, Path localConfig, Path caDir, Path log, List<String> options) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(jar, zdsSocket, localConfig, caDir, log, options);
            } catch (IllegalStateException e) {
                if (attempt >= 3 || !String.valueOf(e.getMessage()).contains("Address already in use")) {
                    throw e;
                }
            }
        }
    }

    private static ZtunnelJar startOnce(
            Path jar, Path zdsSocket, Path localConfig, Path caDir, Path log, List<String> options) throws Exception {
        int metricsPort = freePort();
        List<String> command = new ArrayList<>(List.of(
                CniInstaller.currentJava().toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                "-jar",
                jar.toString(),
                "--node",
                "node1",
                "--local-config",
                localConfig.toString(),
                "--zds-socket",
                zdsSocket.toString(),
                "--admin-port",
                Integer.toString(freePort()),
                "--metrics-port",
                Integer.toString(metricsPort),
                "--readiness-port",
                Integer.toString(freePort()),
                "--stats-address",
                "127.0.0.1",
                "--drain-timeout",
                "1s",
                "--worker-threads",
                "1"));
        if (Files.exists(caDir.resolve("ca-cert.pem"))) {
            command.addAll(List.of("--ca-dir", caDir.toString()));
        } else {
            command.addAll(List.of("--ca-out", caDir.toString()));
        }
        command.addAll(options);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        ZtunnelJar ztunnel = new ZtunnelJar(process, log, metricsPort);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!ztunnel.log().contains("ztunnel ready")) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String text = ztunnel.log();
                ztunnel.close();
                throw new IllegalStateException("ztunnel did not get ready: " + text);
            }
            Thread.sleep(50);
        }
        return ztunnel;
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    /** Prometheus text from ztunnel's metrics port. */
    public String metrics() throws Exception {
        var client = java.net.http.HttpClient.newHttpClient();
        var response = client.send(
                java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create("http://127.0.0.1:" + metricsPort + "/stats/prometheus"))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        return response.body();
    }

    /** Stops it like a crash or an eviction: SIGKILL, no drain. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
