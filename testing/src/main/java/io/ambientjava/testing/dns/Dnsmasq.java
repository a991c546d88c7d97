package io.ambientjava.testing.dns;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Debian's dnsmasq as a real authoritative DNS server for tests: answers A queries for the names it is given, with
 * a short TTL, and NXDOMAIN for any other name under the zone's domain; no upstream, no /etc/hosts, no DHCP. Names
 * can also be published while it runs ({@link #publish}: a file in its hosts directory, which it watches). It listens
 * on 127.0.0.1 of this process's network namespace and, on the same port and with the same names, of any other
 * namespace it is asked to ({@link #alsoIn}: a pod whose processes cannot reach the host).
 */
public final class Dnsmasq implements AutoCloseable {

    private final Zone zone;
    private final InetSocketAddress address;
    private final Path hostsDir;
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final List<Path> logs = new CopyOnWriteArrayList<>();

    private Dnsmasq(Zone zone, InetSocketAddress address, Path hostsDir) {
        this.zone = zone;
        this.address = address;
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

    /**
     * Starts dnsmasq on a free port of 127.0.0.1 in this process's namespace. The port is free for UDP and TCP when
     * chosen, but another process can take it before dnsmasq binds it (a test running beside this one): then another
     * port is tried, up to {@value #PORT_ATTEMPTS} times.
     */
    public static Dnsmasq startOnLoopback(Zone zone) throws IOException, InterruptedException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int attempt = 1; ; attempt++) {
            Dnsmasq dnsmasq = new Dnsmasq(
                    zone,
                    new InetSocketAddress(loopback, freeUdpAndTcpPort(loopback)),
                    Files.createTempDirectory("dnsmasq-hosts-"));
            try {
                dnsmasq.launch(List.of());
                return dnsmasq;
            } catch (IllegalStateException e) {
                if (attempt >= PORT_ATTEMPTS || !e.getMessage().contains("Address already in use")) {
                    throw e;
                }
            }
        }
    }

    private static final int PORT_ATTEMPTS = 5;

    /** A port of {@code address} that neither a UDP nor a TCP socket holds right now. */
    private static int freeUdpAndTcpPort(InetAddress address) throws IOException {
        for (int tries = 0; tries < 50; tries++) {
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(address, 0));
                    ServerSocket tcp = new ServerSocket()) {
                tcp.bind(new InetSocketAddress(address, udp.getLocalPort()));
                return udp.getLocalPort();
            } catch (java.net.BindException taken) {
                // that number is in use for TCP: draw another
            }
        }
        throw new IOException("no port of " + address + " free for both UDP and TCP after 50 tries");
    }

    /**
     * Runs one more dnsmasq in the network namespace at {@code netns} (a path under /var/run/netns or /proc), on
     * 127.0.0.1 and the same port, with the same names (published ones too); stopped with this one.
     */
    public void alsoIn(Path netns) throws IOException, InterruptedException {
        launch(List.of("nsenter", "--net=" + netns, "--"));
    }

    private void launch(List<String> prefix) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(prefix);
        argv.addAll(zone.arguments(address.getAddress(), address.getPort(), hostsDir));
        Path log = Files.createTempFile("dnsmasq-", ".log");
        logs.add(log);
        Process process = new ProcessBuilder(argv)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        processes.add(process);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (Instant.now().isBefore(deadline)) {
            String text = readQuietly(log);
            if (text.contains("started, version")) {
                return;
            }
            if (!process.isAlive()) {
                closeQuietly();
                throw new IllegalStateException("dnsmasq exited before it started: " + text);
            }
            Thread.sleep(20);
        }
        String text = readQuietly(log);
        closeQuietly();
        throw new IllegalStateException("dnsmasq did not start within 10 s: " + text);
    }

    /**
     * Answers {@code name} with {@code ip} from now on (dnsmasq reads the new file in its hosts directory when it
     * sees it; give it a moment).
     */
    public void publish(String name, String ip) throws IOException {
        Path staged = Files.createTempFile(hostsDir.getParent(), "dnsmasq-host-", ".tmp");
        Files.writeString(staged, ip + " " + name + "\n");
        Files.move(staged, hostsDir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Where it answers (UDP and TCP), in each namespace it runs in. */
    public InetSocketAddress address() {
        return address;
    }

    /** What the instances printed so far (the queries they answered, with --log-queries). */
    public String log() {
        StringBuilder all = new StringBuilder();
        logs.forEach(log -> all.append(readQuietly(log)));
        return all.toString();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (Process process : processes) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
        processes.clear();
        for (Path log : logs) {
            Files.deleteIfExists(log);
        }
        logs.clear();
        if (!Files.isDirectory(hostsDir)) {
            return; // closed before
        }
        try (var files = Files.list(hostsDir)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
        }
        Files.deleteIfExists(hostsDir);
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException | InterruptedException | RuntimeException ignored) {
            // already failing with a better message
        }
    }

    private static String readQuietly(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }
}
