package io.ambientjava.perf.tunnel;

import io.ambientjava.perf.net.HostPort;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * The tunnel child process: hosts both ends of one tunnel, prints {@code READY <host>:<port>} (its entry address)
 * on standard output, and runs until its standard input reaches end of file, which happens when the benchmark
 * closes it or dies. A lifetime limit stops it even if neither ever happens.
 *
 * <p>Arguments: {@code <tls|hbone> <target-host:port> <threads-per-side> <max-lifetime-seconds>}.
 */
public final class TunnelProcessMain {

    public static final String READY_PREFIX = "READY ";

    private TunnelProcessMain() {}

    public static void main(String[] args) throws Exception {
        TunnelKind kind;
        InetSocketAddress target;
        int threads;
        Duration maxLifetime;
        try {
            if (args.length != 4) {
                throw new IllegalArgumentException("expected 4 arguments, got " + args.length);
            }
            kind = TunnelKind.valueOf(args[0].toUpperCase(Locale.ROOT));
            target = HostPort.parse(args[1]);
            threads = Integer.parseInt(args[2]);
            maxLifetime = Duration.ofSeconds(Long.parseLong(args[3]));
        } catch (IllegalArgumentException e) { // NumberFormatException included
            System.err.println("tunnel: " + e.getMessage());
            System.err.println("usage: TunnelProcessMain <tls|hbone> <target-host:port> <threads-per-side>"
                    + " <max-lifetime-seconds>");
            System.exit(2);
            return;
        }

        Thread reaper = Thread.ofPlatform().daemon().name("lifetime-limit").start(() -> {
            try {
                Thread.sleep(maxLifetime);
                System.err.println("tunnel: lifetime limit of " + maxLifetime + " reached, exiting");
                Runtime.getRuntime().halt(3);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });

        try (Tunnel tunnel = TunnelFactory.start(kind, target, threads)) {
            InetSocketAddress entry = tunnel.entryAddress();
            System.out.println(READY_PREFIX + HostPort.format(entry));
            System.out.flush();
            awaitEndOfInput();
        } finally {
            reaper.interrupt();
        }
        System.exit(0);
    }

    private static void awaitEndOfInput() throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (in.readLine() != null) {
            // Lines are ignored; only end of input matters.
        }
    }
}
