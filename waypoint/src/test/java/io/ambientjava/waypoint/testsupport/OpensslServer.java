package io.ambientjava.waypoint.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code openssl s_server -www} on a loopback port: a real TLS peer that answers each request with a page about the
 * session (with the client's certificate when it asked for one). Closing kills it.
 */
public final class OpensslServer implements AutoCloseable {

    private final Process process;
    private final int port;

    private OpensslServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** @param options more {@code s_server} options ({@code -cert}, {@code -Verify}, ...) relative to {@code dir} */
    public static OpensslServer start(Path dir, String... options) throws Exception {
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            int port;
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress("127.0.0.1", 0));
                port = probe.getLocalPort();
            }
            List<String> command =
                    new ArrayList<>(List.of("openssl", "s_server", "-accept", "127.0.0.1:" + port, "-www"));
            command.addAll(List.of(options));
            Process process = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .start();
            CompletableFuture<Boolean> ready = new CompletableFuture<>();
            Thread.ofVirtual()
                    .start(
                            () -> { // reads its output to the end, so it never blocks on a full pipe
                                try (var lines = new BufferedReader(
                                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                                    String line;
                                    while ((line = lines.readLine()) != null) {
                                        if (line.startsWith("ACCEPT")) {
                                            ready.complete(true);
                                        }
                                    }
                                } catch (IOException e) {
                                    // the process ended
                                }
                                ready.complete(false);
                            });
            try {
                if (ready.get(10, TimeUnit.SECONDS)) {
                    return new OpensslServer(process, port);
                }
            } catch (java.util.concurrent.TimeoutException e) {
                // fall through: not ready in time
            }
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            last = new IOException("openssl s_server did not start on port " + port);
        }
        throw last;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
}
