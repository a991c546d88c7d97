package io.ambientjava.testing.dns;

import io.ambientjava.testing.netns.NamespacedHost;
import io.ambientjava.testing.netns.StartedProcess;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Debian's dnsmasq as a real authoritative DNS server for tests: answers A queries for the names it is given, with
 * a short TTL, and NXDOMAIN for any other name under {@code domain}; no upstream, no /etc/hosts, no DHCP. Names can
 * also be published while it runs ({@link #publish}: a file in its hosts directory, which it watches). Runs on
 * loopback ({@link #startOnLoopback}) or inside a test's network namespace ({@link #startIn}).
 */
public final class Dnsmasq implements AutoCloseable {

    private final InetSocketAddress address;
    private final AutoCloseable process;
    private final Path hostsDir;

    private Dnsmasq(InetSocketAddress address, AutoCloseable process, Path hostsDir) {
        this.address = address;
        this.process = process;
        this.hostsDir = hostsDir;
    }

    /** Records to serve: names (under one domain) to their IPv4 addresses. */
    public static final class Zone {
        private final String domain;
        private final Map<String, List<String>> records = new LinkedHashMap<>();
        private int ttlSeconds = 2;

        public Zone(String domain) {
            this.domain = domain;
        }

        public Zone a(String name, String... ips) {
            if (!name.endsWith("." + domain)) {
                throw new IllegalArgumentException(name + " is not under " + domain);
            }
            records.computeIfAbsent(name, n -> new ArrayList<>()).addAll(List.of(ips));
            return this;
        }

        public Zone ttl(int seconds) {
            ttlSeconds = seconds;
            return this;
        }

        List<String> arguments(InetAddress listen, int port, Path hostsDir) {
            List<String> args = new ArrayList<>(List.of(
                    "dnsmasq",
                    "--keep-in-foreground",
                    "--conf-file=/dev/null",
                    "--no-resolv",
                    "--no-hosts",
                    "--user=root",
                    "--pid-file=",
                    "--bind-interfaces",
                    "--listen-address=" + listen.getHostAddress(),
                    "--port=" + port,
                    "--local=/" + domain + "/",
                    "--local-ttl=" + ttlSeconds,
                    "--hostsdir=" + hostsDir,
                    "--log-queries",
                    "--log-facility=-"));
            records.forEach((name, ips) -> ips.forEach(ip -> args.add("--host-record=" + name + "," + ip)));
            return args;
        }
    }

    /** Starts dnsmasq on a free port of 127.0.0.1 in this process's namespace. */
    public static Dnsmasq startOnLoopback(Zone zone) throws IOException, InterruptedException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        int port;
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
            port = probe.getLocalPort();
        }
        Path log = Files.createTempFile("dnsmasq-", ".log");
        Path hostsDir = Files.createTempDirectory("dnsmasq-hosts-");
        Process process = new ProcessBuilder(zone.arguments(loopback, port, hostsDir))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        AutoCloseable stop = () -> {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            Files.deleteIfExists(log);
            deleteHostsDir(hostsDir);
        };
        Dnsmasq dnsmasq = new Dnsmasq(new InetSocketAddress(loopback, port), stop, hostsDir);
        awaitStarted(() -> readQuietly(log), process::isAlive, dnsmasq);
        return dnsmasq;
    }

    /**
     * Starts dnsmasq inside {@code host}'s namespace on {@code listen}:53; stopped with the host's topology or by
     * {@link #close()}.
     */
    public static Dnsmasq startIn(NamespacedHost host, InetAddress listen, Zone zone) throws Exception {
        Path hostsDir = Files.createTempDirectory("dnsmasq-hosts-");
        StartedProcess started = host.start(zone.arguments(listen, 53, hostsDir).toArray(String[]::new));
        AutoCloseable stop = () -> {
            started.close();
            deleteHostsDir(hostsDir);
        };
        Dnsmasq dnsmasq = new Dnsmasq(new InetSocketAddress(listen, 53), stop, hostsDir);
        awaitStarted(started::log, () -> started.process().isAlive(), dnsmasq);
        return dnsmasq;
    }

    /**
     * Answers {@code name} with {@code ip} from now on (dnsmasq reads the new file in its hosts directory when it
     * sees it; give it a moment).
     */
    public void publish(String name, String ip) throws IOException {
        Path staged = Files.createTempFile(hostsDir.getParent(), "dnsmasq-host-", ".tmp");
        Files.writeString(staged, ip + " " + name + "\n");
        Files.move(staged, hostsDir.resolve(name), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Where it answers (UDP and TCP). */
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public void close() throws Exception {
        process.close();
    }

    private static void awaitStarted(Supplier<String> log, BooleanSupplier alive, Dnsmasq dnsmasq)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (Instant.now().isBefore(deadline)) {
            String text = log.get();
            if (text.contains("started, version")) {
                return;
            }
            if (!alive.getAsBoolean()) {
                closeQuietly(dnsmasq);
                throw new IllegalStateException("dnsmasq exited before it started: " + text);
            }
            Thread.sleep(20);
        }
        String text = log.get();
        closeQuietly(dnsmasq);
        throw new IllegalStateException("dnsmasq did not start within 10 s: " + text);
    }

    private static void deleteHostsDir(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
        }
        Files.deleteIfExists(dir);
    }

    private static String readQuietly(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    private static void closeQuietly(Dnsmasq dnsmasq) {
        try {
            dnsmasq.close();
        } catch (Exception ignored) {
            // already failing with a better message
        }
    }
}
