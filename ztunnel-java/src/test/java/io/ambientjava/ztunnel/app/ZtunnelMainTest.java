package io.ambientjava.ztunnel.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.ztunnel.admin.HttpTestClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: usage errors, startup failures (one clear line each) and a clean run ended over HTTP. */
class ZtunnelMainTest {

    private static final Path EXAMPLE_CONFIG = Path.of("src/main/resources/examples/localhost.yaml");
    private static final String[] FREE_PORTS = {"--admin-port=0", "--metrics-port=0", "--readiness-port=0"};

    @TempDir
    Path dir;

    /** What one run printed and returned. */
    record Result(int exit, List<String> out, List<String> err) {}

    private static Result run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ZtunnelMain.run(
                args,
                env,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                process -> {
                    throw new AssertionError("should not have started");
                });
        return new Result(exit, lines(out), lines(err));
    }

    private static Result run(String... args) {
        return run(Map.of(), args);
    }

    private static List<String> lines(ByteArrayOutputStream bytes) {
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private static String[] with(String[] first, String... more) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static void assertUsageError(Result result, String line) {
        assertThat(result.exit()).isEqualTo(ZtunnelMain.EXIT_USAGE);
        assertThat(result.err()).containsExactly(line);
        assertThat(result.out()).isEmpty();
    }

    private static void assertStartupError(Result result, String lineStart) {
        assertThat(result.exit()).isEqualTo(ZtunnelMain.EXIT_FAILED);
        assertThat(result.err()).hasSize(1);
        assertThat(result.err().getFirst()).startsWith(lineStart);
        assertThat(result.out()).isEmpty();
    }

    @Test
    void usageErrorsAreOneLineAndExit2() {
        assertUsageError(run("--bogus"), "ztunnel: Unknown option: '--bogus' (see ztunnel --help)");
        assertUsageError(
                run("--drain-timeout", "soon"),
                "ztunnel: Invalid value for option '--drain-timeout': 'soon' is not a duration"
                        + " (use e.g. 500ms, 5s, 2m, 1h) (see ztunnel --help)");
        assertUsageError(
                run("--pod", "just-a-uid"),
                "ztunnel: Invalid value for option '--pod' (UID=NETNS_PATH): 'just-a-uid' is not UID=NETNS_PATH"
                        + " (see ztunnel --help)");
        assertUsageError(
                run("--pod", "a=/var/run/netns/a", "--pod", "a=/var/run/netns/b"),
                "ztunnel: --pod a is given twice (see ztunnel --help)");
        assertUsageError(
                run("--zds-socket", "/run/agent.sock", "--pod", "a=/var/run/netns/a"),
                "ztunnel: --zds-socket and --pod/--pods-file are mutually exclusive (pods come from the node agent or"
                        + " from the command line) (see ztunnel --help)");
        assertUsageError(
                run("--zds-socket", "/run/agent.sock", "--pods-file", "/etc/pods.txt"),
                "ztunnel: --zds-socket and --pod/--pods-file are mutually exclusive (pods come from the node agent or"
                        + " from the command line) (see ztunnel --help)");
        assertUsageError(
                run("--metrics-port", "70000"),
                "ztunnel: --metrics-port 70000 is not in 0..65535 (see ztunnel --help)");
        assertUsageError(
                run("--admin-port", "http"),
                "ztunnel: Invalid value for option '--admin-port': 'http' is not an int (see ztunnel --help)");
        assertUsageError(
                run("--stats-address", "example.invalid"),
                "ztunnel: --stats-address 'example.invalid' is not an IP address (see ztunnel --help)");
        assertUsageError(run("--trust-domain", " "), "ztunnel: --trust-domain must not be empty (see ztunnel --help)");
        assertUsageError(
                run("--inbound-source", "sometimes"),
                "ztunnel: Invalid value for option '--inbound-source': expected one of [PRESERVE_CLIENT_IP,"
                        + " POD_ADDRESS] (case-insensitive) but was 'sometimes' (see ztunnel --help)");
    }

    @Test
    void helpAndVersionExit0() {
        Result help = run("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).anyMatch(l -> l.contains("--pods-file=FILE"));
        Result version = run("--version");
        assertThat(version.exit()).isZero();
        assertThat(version.out()).singleElement().asString().startsWith("ztunnel-java ");
    }

    @Test
    void startupFailuresAreOneLineAndExit1() throws IOException {
        assertStartupError(
                run(with(
                        FREE_PORTS,
                        "--local-config",
                        dir.resolve("missing.yaml").toString())),
                "ztunnel: local config: " + dir.resolve("missing.yaml") + ": cannot read: no such file");

        Path badYaml = Files.writeString(dir.resolve("bad.yaml"), "workloads:\n- uid: x\n  bogusField: 1\n");
        assertStartupError(
                run(with(FREE_PORTS, "--local-config", badYaml.toString())), "ztunnel: local config: " + badYaml);

        assertStartupError(
                run(with(FREE_PORTS, "--ca-dir", dir.toString())), "ztunnel: --ca-dir " + dir + " has no ca-cert.pem");
        assertStartupError(
                run(with(
                        FREE_PORTS,
                        "--ca-dir",
                        dir.toString(),
                        "--ca-out",
                        dir.resolve("out").toString())),
                "ztunnel: use either --ca-dir (an existing CA) or --ca-out (write a new one), not both");

        Path pods = Files.writeString(dir.resolve("pods.txt"), "# pods\nuid-only\n");
        assertStartupError(
                run(with(FREE_PORTS, "--pods-file", pods.toString())),
                "ztunnel: " + pods + ":2: expected '<uid> <netns-path>' but found 'uid-only'");

        Path notNetns = Files.writeString(dir.resolve("not-a-netns"), "x");
        assertStartupError(
                run(with(FREE_PORTS, "--pod", "a=" + notNetns)), "ztunnel: pod a: " + notNetns + " is not a network");

        assertStartupError(
                run(with(FREE_PORTS, "--pod", "a=" + dir.resolve("gone"))),
                "ztunnel: pod a: cannot open network namespace " + dir.resolve("gone"));
    }

    @Test
    void theLocalConfigCanComeFromTheEnvironmentAsUpstreamReadsIt() {
        Path missing = dir.resolve("from-env.yaml");
        assertStartupError(
                run(Map.of("LOCAL_XDS_PATH", missing.toString(), "LOCAL_XDS", "workloads: []"), FREE_PORTS),
                "ztunnel: local config: " + missing + ": cannot read: no such file");
        assertStartupError(
                run(Map.of("LOCAL_XDS", "workloads: [1, 2"), FREE_PORTS), "ztunnel: local config: LOCAL_XDS");
        assertStartupError(
                run(
                        Map.of("LOCAL_XDS_PATH", missing.toString()),
                        with(
                                FREE_PORTS,
                                "--local-config",
                                dir.resolve("flag.yaml").toString())),
                "ztunnel: local config: " + dir.resolve("flag.yaml") + ": cannot read");
    }

    @Test
    void aTakenPortIsAStartupFailureNamingIt() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            assertStartupError(
                    run("--admin-port=" + taken.getLocalPort(), "--metrics-port=0", "--readiness-port=0"),
                    "ztunnel: cannot bind the admin server to 127.0.0.1:" + taken.getLocalPort());
        }
    }

    @Test
    void runsWritesItsCaAndStopsOnQuitquitquit() throws Exception {
        Path caOut = dir.resolve("ca");
        LineCollector out = new LineCollector();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> ZtunnelMain.run(
                with(
                        FREE_PORTS,
                        "--node=node1",
                        "--local-config=" + EXAMPLE_CONFIG,
                        "--ca-out=" + caOut,
                        "--drain-timeout=1s",
                        "--stats-address=127.0.0.1",
                        "--zds-socket=" + dir.resolve("no-agent/ztunnel.sock")),
                Map.of(),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                process -> {}));
        String ready = out.awaitLine("ztunnel ready ", Duration.ofSeconds(20));
        Matcher m = Pattern.compile("ztunnel ready admin=127\\.0\\.0\\.1:(\\d+) metrics=127\\.0\\.0\\.1:(\\d+)"
                        + " readiness=127\\.0\\.0\\.1:(\\d+) node=node1 pods=0")
                .matcher(ready);
        assertThat(m.matches()).as(ready).isTrue();
        InetSocketAddress admin = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));
        InetSocketAddress metrics = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(2)));

        assertThat(HttpTestClient.get(metrics, "/stats/prometheus").body())
                .contains("ztunnel_workloads 4.0")
                .contains("istio_build{component=\"ztunnel\",tag=\"");
        assertThat(HttpTestClient.get(admin, "/config_dump").body()).contains("\"caSource\" : \"self-signed\"");
        assertThat(HttpTestClient.post(admin, "/quitquitquit").statusCode()).isEqualTo(200);

        assertThat(exit.get(20, TimeUnit.SECONDS)).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        // what --ca-out wrote is a CA another ztunnel can use with --ca-dir
        MeshCertificateAuthority written =
                CaSetup.load("cluster.local", java.util.Optional.of(caOut), java.util.Optional.empty());
        assertThat(written.trustBundle().roots()).hasSize(1);
    }

    /** Collects printed lines for a test to wait on. */
    static final class LineCollector extends OutputStream {
        private final StringBuilder partial = new StringBuilder();
        private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                lines.add(partial.toString());
                partial.setLength(0);
            } else {
                partial.append((char) b);
            }
        }

        String awaitLine(String prefix, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (line != null && line.startsWith(prefix)) {
                    return line;
                }
            }
            throw new AssertionError("no line starting with '" + prefix + "' within " + timeout);
        }
    }
}
