package io.ambientjava.meshctl.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ambientjava.meshctl.MeshctlRun;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshctl ztunnel-config} against a real ztunnel-java process (its own main, a local config, admin on a free
 * loopback port, no pods so no root needed).
 */
class ZtunnelConfigRealZtunnelTest {

    private static final Pattern READY = Pattern.compile("ztunnel ready admin=(127\\.0\\.0\\.1:\\d+) .*");

    @TempDir
    static Path dir;

    static Process ztunnel;
    static String adminAddress;

    @BeforeAll
    static void startZtunnel() throws Exception {
        Path config = dir.resolve("localhost.yaml");
        try (InputStream example = ZtunnelConfigRealZtunnelTest.class.getResourceAsStream("/examples/localhost.yaml")) {
            assertThat(example)
                    .as("ztunnel-java's example config on the test classpath")
                    .isNotNull();
            Files.write(config, example.readAllBytes());
        }
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ztunnel = new ProcessBuilder(List.of(
                        java.toString(),
                        "--enable-native-access=ALL-UNNAMED",
                        "-Xmx256m",
                        "-cp",
                        classpath,
                        "io.ambientjava.ztunnel.app.ZtunnelMain",
                        "--local-config=" + config,
                        "--node=node-a",
                        "--admin-port=0",
                        "--metrics-port=0",
                        "--readiness-port=0",
                        // No pods, and none from a node agent: an empty pods file keeps ZDS out of it.
                        "--pods-file=" + Files.writeString(dir.resolve("pods"), ""),
                        "--stats-address=127.0.0.1",
                        "--ca-out=" + dir.resolve("ca")))
                .redirectError(dir.resolve("ztunnel.err").toFile())
                .start();
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
            try (BufferedReader out =
                    new BufferedReader(new InputStreamReader(ztunnel.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    Matcher m = READY.matcher(line);
                    if (m.matches()) {
                        return m.group(1);
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        adminAddress = ready.get(60, TimeUnit.SECONDS);
        assertThat(adminAddress)
                .as("ztunnel did not start: " + Files.readString(dir.resolve("ztunnel.err")))
                .isNotNull();
    }

    @AfterAll
    static void stopZtunnel() throws InterruptedException {
        if (ztunnel != null) {
            ztunnel.destroy();
            if (!ztunnel.waitFor(15, TimeUnit.SECONDS)) {
                ztunnel.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void workloadsServicesAndPoliciesFromTheLiveDump() {
        MeshctlRun workloads = MeshctlRun.of("ztunnel-config", "workloads", "--admin-address", adminAddress);
        assertThat(workloads.exit()).as(workloads.err()).isZero();
        assertThat(workloads.out().lines().toList())
                .hasSize(5)
                .anySatisfy(l -> assertThat(l.split(" {3,}"))
                        .containsExactly("default", "echo-1", "198.18.0.21", "node-a", "None", "HBONE"))
                .anySatisfy(l -> assertThat(l.split(" {3,}"))
                        .containsExactly("legacy", "db-0", "198.18.0.30", "node-a", "None", "TCP"));

        MeshctlRun services = MeshctlRun.of("ztunnel-config", "services", "--admin-address", adminAddress);
        assertThat(services.out()).contains("echo", "/198.19.0.10", "2/2");

        MeshctlRun policies = MeshctlRun.of("ztunnel-config", "policies", "--admin-address", adminAddress);
        assertThat(policies.out().lines().toList())
                .hasSize(4)
                .anySatisfy(l ->
                        assertThat(l.split(" {3,}")).containsExactly("default", "deny-9999", "DENY", "NAMESPACE", "1"));
    }

    @Test
    void certificatesAndConnectionsAreEmptyWithoutPods() {
        MeshctlRun certificates = MeshctlRun.of("ztunnel-config", "certificates", "--admin-address", adminAddress);
        assertThat(certificates.exit()).as(certificates.err()).isZero();
        assertThat(certificates.out()).isEqualTo("IDENTITY   STATE   SERIAL NUMBER   NOT BEFORE   NOT AFTER   CHAIN\n");
        MeshctlRun connections =
                MeshctlRun.of("ztunnel-config", "connections", "-o", "json", "--admin-address", adminAddress);
        assertThat(connections.out().strip()).isEqualTo("[ ]");
    }

    @Test
    void allIsTheWholeDump() {
        // Readiness can lag the ready line by a moment on a busy machine; the dump shows it once it is there.
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(20))
                .untilAsserted(() -> {
                    MeshctlRun all = MeshctlRun.of("ztunnel-config", "all", "--admin-address", adminAddress);
                    JsonNode dump = new ObjectMapper().readTree(all.out());
                    assertThat(dump.path("readiness").path("ready").asBoolean())
                            .as(dump.path("readiness").toString())
                            .isTrue();
                    assertThat(dump.path("workloads")).hasSize(4);
                    assertThat(dump.path("services")).hasSize(2);
                });
    }
}
