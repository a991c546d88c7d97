package io.ambientjava.ztunnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.pem.Pem;
import io.ambientjava.zds.ZdsServer;
import io.ambientjava.ztunnel.admin.HttpTestClient;
import io.ambientjava.ztunnel.testsupport.InProcessIstiod;
import io.ambientjava.ztunnel.xds.FakeAdsServer;
import io.ambientjava.ztunnel.xds.XdsTypeUrls;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code --xds-address}, {@code --ca-address}, {@code --token-file}: checks, and a run fed by istiod-lite. */
@Timeout(60)
class ZtunnelMainXdsTest {

    @TempDir
    Path dir;

    /** A ZDS socket path no agent listens on (readiness then waits for the agent), or one the test serves. */
    private String agentSocket() {
        return dir.resolve("agent/ztunnel.sock").toString();
    }

    private static ZtunnelMainTest.Result usage(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ZtunnelMain.run(
                args,
                Map.of(),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                process -> {
                    throw new AssertionError("should not have started");
                });
        return new ZtunnelMainTest.Result(
                exit,
                out.toString(StandardCharsets.UTF_8).lines().toList(),
                err.toString(StandardCharsets.UTF_8).lines().toList());
    }

    private static void assertUsage(ZtunnelMainTest.Result result, String message) {
        assertThat(result.exit()).isEqualTo(ZtunnelMain.EXIT_USAGE);
        assertThat(result.err()).containsExactly("ztunnel: " + message + " (see ztunnel --help)");
    }

    @Test
    void badCombinationsAndAddressesAreUsageErrors() throws Exception {
        assertUsage(
                usage("--xds-address=127.0.0.1:15010", "--local-config=x.yaml"),
                "--xds-address and --local-config are mutually exclusive");
        assertUsage(usage("--xds-address=127.0.0.1"), "--xds-address '127.0.0.1' is not HOST:PORT");
        assertUsage(
                usage("--xds-address=127.0.0.1:99999"),
                "--xds-address '127.0.0.1:99999': port 99999 is not in 1..65535");
        assertUsage(
                usage("--xds-address=::1:15010"),
                "--xds-address '::1:15010': write an IPv6 address in brackets, [::1]:15010");
        assertUsage(
                usage("--ca-address=127.0.0.1:15010"), "--ca-address needs --token-file (this ztunnel's bearer token)");
        assertUsage(usage("--token-file=t"), "--token-file is only used with --ca-address, or --xds-address over TLS");
        assertUsage(
                usage("--istiod-root-cert=r.pem"),
                "--istiod-root-cert is only used with --xds-address or --ca-address");
        ZtunnelMainTest.Result badRoots =
                usage("--xds-address=127.0.0.1:15012", "--token-file=t", "--istiod-root-cert=/nonexistent/r.pem");
        assertThat(badRoots.exit()).isEqualTo(ZtunnelMain.EXIT_USAGE);
        assertThat(badRoots.err())
                .singleElement()
                .satisfies(line -> assertThat(line).startsWith("ztunnel: --istiod-root-cert /nonexistent/r.pem: "));
        Path roots = dir.resolve("roots.pem");
        Pem.writeFile(
                roots,
                Pem.writeCertificates(MeshCertificateAuthority.createSelfSigned("cluster.local")
                        .trustBundle()
                        .roots()));
        assertUsage(
                usage("--xds-address=127.0.0.1:15012", "--istiod-root-cert=" + roots),
                "--xds-address over TLS (--istiod-root-cert) needs --token-file to authenticate");
        assertUsage(
                usage("--ca-address=127.0.0.1:15010", "--token-file=t", "--ca-dir=/tmp"),
                "--ca-address and --ca-dir/--ca-out are mutually exclusive");
        assertThat(HostPort.parse("[::1]:15012")).isEqualTo(new HostPort("::1", 15012));
        assertThat(HostPort.parse("[::1]:15012").toString()).isEqualTo("[::1]:15012");
    }

    @Test
    void readinessWaitsForTheFirstXdsState() throws Exception {
        try (FakeAdsServer server = new FakeAdsServer();
                ZdsServer agent = ZdsServer.start(Path.of(agentSocket()), ZdsServer.Settings.DEFAULTS)) {
            ZtunnelMainTest.LineCollector out = new ZtunnelMainTest.LineCollector();
            String address = "127.0.0.1:" + server.port();
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> ZtunnelMain.run(
                    new String[] {
                        "--admin-port=0",
                        "--metrics-port=0",
                        "--readiness-port=0",
                        "--stats-address=127.0.0.1",
                        "--node=node-a",
                        "--xds-address=" + address,
                        "--xds-sync-timeout=200ms",
                        "--drain-timeout=1s",
                        "--zds-socket=" + agentSocket()
                    },
                    Map.of(),
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                    process -> {}));
            String ready = out.awaitLine("ztunnel ready ", Duration.ofSeconds(30));
            Matcher m = Pattern.compile(
                            "ztunnel ready admin=127\\.0\\.0\\.1:(\\d+) .* readiness=127\\.0\\.0\\.1:(\\d+) .*")
                    .matcher(ready);
            assertThat(m.matches()).as(ready).isTrue();
            InetSocketAddress admin = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));
            InetSocketAddress readiness = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(2)));

            var notReady = HttpTestClient.get(readiness, "/healthz/ready");
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body()).contains("waiting for the first workload xDS state from " + address);

            server.next();
            server.next();
            for (String type : new String[] {XdsTypeUrls.ADDRESS, XdsTypeUrls.AUTHORIZATION}) {
                server.send(DeltaDiscoveryResponse.newBuilder()
                        .setTypeUrl(type)
                        .setNonce(type)
                        .build());
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> HttpTestClient.get(readiness, "/healthz/ready").statusCode() == 200);

            assertThat(HttpTestClient.post(admin, "/quitquitquit").statusCode()).isEqualTo(200);
            assertThat(exit.get(20, TimeUnit.SECONDS)).isZero();
        }
    }

    @Test
    void runsOverIstiodsTlsPortWithTheMeshRoots() throws Exception {
        try (InProcessIstiod istiod = InProcessIstiod.start(dir)) {
            Path token = Files.writeString(dir.resolve("token"), InProcessIstiod.NODE_A_TOKEN);
            Path roots = dir.resolve("root-cert.pem");
            Pem.writeFile(roots, Pem.writeCertificates(istiod.ca().trustBundle().roots()));
            ZtunnelMainTest.LineCollector out = new ZtunnelMainTest.LineCollector();
            String address = "127.0.0.1:" + istiod.tlsPort();
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> ZtunnelMain.run(
                    new String[] {
                        "--admin-port=0",
                        "--metrics-port=0",
                        "--readiness-port=0",
                        "--stats-address=127.0.0.1",
                        "--node=node-a",
                        "--xds-address=" + address,
                        "--ca-address=" + address,
                        "--istiod-root-cert=" + roots,
                        "--token-file=" + token,
                        "--drain-timeout=1s",
                        "--zds-socket=" + agentSocket()
                    },
                    Map.of(),
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                    process -> {}));
            String ready = out.awaitLine("ztunnel ready ", Duration.ofSeconds(30));
            Matcher m = Pattern.compile("ztunnel ready admin=127\\.0\\.0\\.1:(\\d+) .*")
                    .matcher(ready);
            assertThat(m.matches()).as(ready).isTrue();
            InetSocketAddress admin = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));
            assertThat(HttpTestClient.get(admin, "/config_dump").body())
                    .contains("\"xdsAddress\" : \"" + address + " (TLS)\"")
                    .contains("\"caSource\" : \"istiod " + address + " (TLS)\"")
                    .contains("\"connected\" : true")
                    .contains(InProcessIstiod.WEB_0_UID);
            assertThat(HttpTestClient.post(admin, "/quitquitquit").statusCode()).isEqualTo(200);
            assertThat(exit.get(20, TimeUnit.SECONDS)).isZero();
        }
    }

    @Test
    void runsOnStateFromIstiodLiteAndShowsTheXdsStatus() throws Exception {
        try (InProcessIstiod istiod = InProcessIstiod.start(dir)) {
            Path token = Files.writeString(dir.resolve("token"), InProcessIstiod.NODE_A_TOKEN);
            ZtunnelMainTest.LineCollector out = new ZtunnelMainTest.LineCollector();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            String address = "127.0.0.1:" + istiod.port();
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> ZtunnelMain.run(
                    new String[] {
                        "--admin-port=0",
                        "--metrics-port=0",
                        "--readiness-port=0",
                        "--stats-address=127.0.0.1",
                        "--node=node-a",
                        "--xds-address=" + address,
                        "--ca-address=" + address,
                        "--token-file=" + token,
                        "--drain-timeout=1s",
                        "--zds-socket=" + agentSocket()
                    },
                    Map.of(),
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8),
                    process -> {}));
            String ready = out.awaitLine("ztunnel ready ", Duration.ofSeconds(30));
            Matcher m = Pattern.compile("ztunnel ready admin=127\\.0\\.0\\.1:(\\d+) metrics=127\\.0\\.0\\.1:(\\d+).*")
                    .matcher(ready);
            assertThat(m.matches()).as(ready).isTrue();
            InetSocketAddress admin = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));
            InetSocketAddress metrics = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(2)));

            assertThat(HttpTestClient.get(metrics, "/stats/prometheus").body()).contains("ztunnel_workloads 2.0");
            String dump = HttpTestClient.get(admin, "/config_dump").body();
            assertThat(dump)
                    .contains("\"xdsAddress\" : \"" + address + "\"")
                    .contains("\"caSource\" : \"istiod " + address + "\"")
                    .contains("\"connected\" : true")
                    .contains(InProcessIstiod.WEB_0_UID);

            istiod.stop();
            await().atMost(Duration.ofSeconds(15))
                    .until(() ->
                            HttpTestClient.get(admin, "/config_dump").body().contains("\"connected\" : false"));
            assertThat(HttpTestClient.get(metrics, "/stats/prometheus").body()).contains("ztunnel_workloads 2.0");

            assertThat(HttpTestClient.post(admin, "/quitquitquit").statusCode()).isEqualTo(200);
            assertThat(exit.get(20, TimeUnit.SECONDS)).isZero();
            assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        }
    }
}
