package io.ambientjava.istiod;

import static io.ambientjava.istiod.testsupport.Configs.ambientNamespace;
import static io.ambientjava.istiod.testsupport.Configs.join;
import static io.ambientjava.istiod.testsupport.Configs.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.istiod.server.IstiodServer;
import io.ambientjava.istiod.testsupport.XdsTestClient;
import io.ambientjava.istiod.xds.TypeUrls;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class IstiodLiteTest {

    @TempDir
    Path temp;

    @Test
    void servesTheSeedExamplesAndFollowsTheFolderEndToEnd() throws Exception {
        Path config = Files.createDirectories(temp.resolve("config"));
        try (Stream<Path> seeds = Files.list(Path.of("src/test/resources/seed-examples"))) {
            for (Path seed : seeds.toList()) {
                Files.copy(seed, config.resolve(seed.getFileName()));
            }
        }
        Path caDir = temp.resolve("ca");
        IstiodLite main = new IstiodLite();
        new CommandLine(main)
                .parseArgs(
                        "--config-dir", config.toString(),
                        "--xds-port", "0",
                        "--tls-port", "0",
                        "--tls-address", "127.0.0.1",
                        "--ca-dir", caDir.toString(),
                        "--monitoring-port", "0",
                        "--debounce-ms", "20",
                        "--poll-ms", "200");
        try {
            IstiodServer server = main.start();
            assertThat(caDir.resolve("root-cert.pem")).exists();
            assertThat(caDir.resolve("ca-key.pem")).exists();
            try (XdsTestClient client = new XdsTestClient(server.xdsPort(), "ztunnel-a")) {
                client.subscribe(TypeUrls.AUTHORIZATION);
                DeltaDiscoveryResponse policies = client.next();
                assertThat(policies.getResourcesList())
                        .extracting(Resource::getName)
                        .containsExactly(
                                "default/product-api-rate-limit",
                                "default/productpage-policy",
                                "default/rate-limit",
                                "istio-system/istio_converted_static_strict");
                client.ack(policies);
                // L7 policies ztunnel cannot enforce, and the seed's two DestinationRules for one host (07's
                // trafficPolicy wins, as in Istio's merge, and 02's is reported as ignored).
                assertThat(server.pipeline().warnings())
                        .extracting(w ->
                                w.resource().kind().kind() + " " + w.resource().name())
                        .containsExactlyInAnyOrder(
                                "AuthorizationPolicy productpage-policy",
                                "AuthorizationPolicy rate-limit",
                                "AuthorizationPolicy product-api-rate-limit",
                                "DestinationRule reviews");

                client.subscribe(TypeUrls.ADDRESS);
                DeltaDiscoveryResponse none = client.next();
                assertThat(none.getResourcesList()).isEmpty();
                client.ack(none);

                Path part = Files.createTempFile(config, ".new", ".part");
                Files.writeString(
                        part,
                        join(ambientNamespace("shop"), pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web")));
                Files.move(part, config.resolve("20-shop.yaml"), StandardCopyOption.ATOMIC_MOVE);
                DeltaDiscoveryResponse added = client.next();
                assertThat(added.getResourcesList())
                        .extracting(Resource::getName)
                        .containsExactly("Kubernetes//Pod/shop/web-0");
                client.ack(added);

                int monitoringPort = main.monitoring().orElseThrow().port();
                assertThat(get(monitoringPort, "/ready")).isEqualTo("200 ready\n");
                assertThat(get(monitoringPort, "/debug/problems"))
                        .contains("VirtualService default/reviews")
                        .contains("ztunnel cannot enforce HTTP attributes");
                assertThat(get(monitoringPort, "/debug/resources")).contains("Kubernetes//Pod/shop/web-0");
                assertThat(get(monitoringPort, "/debug/adsz")).contains("ztunnel-a");
                // Seed example 03 makes an ingress gateway proxy with a listener on port 80.
                assertThat(get(monitoringPort, "/debug/proxies"))
                        .contains("gateway/default/bookinfo-gateway")
                        .contains("0.0.0.0_80");
                assertThat(get(monitoringPort, "/metrics"))
                        .contains("pilot_xds_pushes_total")
                        .contains("pilot_xds ");
            }
        } finally {
            main.close();
        }
    }

    private static String get(int port, String path) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() + " " + response.body();
        }
    }

    @Test
    void restartWithTheSameCaDirKeepsTheRoot() throws IOException {
        Path config = Files.createDirectories(temp.resolve("config"));
        Path caDir = temp.resolve("ca");
        String[] args = {
            "--config-dir",
            config.toString(),
            "--xds-port",
            "0",
            "--tls-port",
            "-1",
            "--monitoring-port",
            "-1",
            "--ca-dir",
            caDir.toString()
        };
        IstiodLite first = new IstiodLite();
        new CommandLine(first).parseArgs(args);
        String root;
        try {
            first.start();
            root = Files.readString(caDir.resolve("root-cert.pem"));
        } finally {
            first.close();
        }
        IstiodLite second = new IstiodLite();
        new CommandLine(second).parseArgs(args);
        try {
            IstiodServer server = second.start();
            assertThat(server.tlsPort()).isEmpty();
            assertThat(server.servingCertificate().chain().getLast())
                    .isEqualTo(io.ambientjava.identity.pem.Pem.readCertificate(root));
        } finally {
            second.close();
        }
    }

    @Test
    @io.ambientjava.testing.RequiresCommand({"openssl"})
    void theTlsPortIsVerifiableByIstiodsServiceNameAsUpstreamZtunnelChecksIt() throws Exception {
        Path config = Files.createDirectories(temp.resolve("config-dns"));
        Path caDir = temp.resolve("ca-dns");
        IstiodLite main = new IstiodLite();
        new CommandLine(main)
                .parseArgs(
                        "--config-dir", config.toString(),
                        "--xds-port", "0",
                        "--tls-port", "0",
                        "--tls-address", "127.0.0.1",
                        "--monitoring-port", "-1",
                        "--webhook-port", "-1",
                        "--ca-dir", caDir.toString());
        try {
            IstiodServer server = main.start();
            assertThat(server.servingCertificate().leaf().getSubjectAlternativeNames().stream()
                            .map(san -> String.valueOf(san.get(1))))
                    .containsExactly("spiffe://cluster.local/ns/istio-system/sa/istiod", "istiod.istio-system.svc");
            Process openssl = new ProcessBuilder(
                            "openssl",
                            "s_client",
                            "-connect",
                            "127.0.0.1:" + server.tlsPort().orElseThrow(),
                            "-servername",
                            "istiod.istio-system.svc",
                            "-verify_hostname",
                            "istiod.istio-system.svc",
                            "-CAfile",
                            caDir.resolve("root-cert.pem").toString(),
                            "-alpn",
                            "h2",
                            "-verify_return_error")
                    .redirectErrorStream(true)
                    .start();
            openssl.getOutputStream().close();
            String output = new String(openssl.getInputStream().readAllBytes());
            assertThat(openssl.waitFor(15, java.util.concurrent.TimeUnit.SECONDS))
                    .isTrue();
            assertThat(output).as(output).contains("Verify return code: 0 (ok)");
        } finally {
            main.close();
        }
    }

    @Test
    void missingRequiredOptionOrBadFolderIsReported() {
        StringWriter err = new StringWriter();
        assertThat(IstiodLite.run(new PrintWriter(err, true), "--xds-port", "0"))
                .isEqualTo(2);
        assertThat(err.toString())
                .contains("Missing required argument")
                .contains("--config-dir=<configDir>")
                .contains("--kubeconfig=<kubeconfig>")
                .contains("--in-cluster");

        StringWriter both = new StringWriter();
        assertThat(IstiodLite.run(
                        new PrintWriter(both, true),
                        "--config-dir",
                        temp.toString(),
                        "--kubeconfig",
                        temp.resolve("kubeconfig").toString()))
                .isEqualTo(2);
        assertThat(both.toString()).contains("mutually exclusive");

        assertThat(IstiodLite.run(
                        new PrintWriter(new StringWriter(), true),
                        "--config-dir",
                        temp.resolve("absent").toString(),
                        "--xds-port",
                        "0",
                        "--tls-port",
                        "-1"))
                .isEqualTo(1);
    }

    @Test
    void aServiceEntryAddressRangeThatIsNoIpv4CidrIsRefusedNamingTheFlag() {
        for (String bad : List.of("198.19.0.0/31", "fd00::/64", "not-a-range")) {
            IstiodLite main = new IstiodLite();
            new CommandLine(main)
                    .parseArgs(
                            "--config-dir",
                            temp.toString(),
                            "--xds-port",
                            "0",
                            "--tls-port",
                            "-1",
                            "--monitoring-port",
                            "-1",
                            "--ca-dir",
                            temp.resolve("ca").toString(),
                            "--service-entry-address-range",
                            bad);
            assertThatThrownBy(main::start)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("--service-entry-address-range " + bad
                            + " is not an IPv4 CIDR of at least 4 addresses, nor 'none'");
            main.close();
        }
    }
}
