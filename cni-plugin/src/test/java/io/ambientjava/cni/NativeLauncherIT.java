package io.ambientjava.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ambientjava.cni.agent.NodeAgentServer;
import io.ambientjava.cni.install.CniInstaller;
import io.ambientjava.cni.redirect.NftablesRedirector;
import io.ambientjava.cni.redirect.RedirectionConfig;
import io.ambientjava.cni.runtime.CniCallException;
import io.ambientjava.cni.runtime.CniNode;
import io.ambientjava.cni.runtime.CniRuntime;
import io.ambientjava.cni.runtime.RecordingZtunnel;
import io.ambientjava.cni.runtime.Sandbox;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.zds.ZdsClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The native launcher chained by the installer: the same CNI behaviour, the plugin code running in the agent. */
@RequiresRoot
@RequiresCommand({"nft", "ip", "nsenter"})
class NativeLauncherIT {
    @TempDir
    Path dir;

    private CniNode node;
    private NodeAgentServer agent;
    private ZdsClient zdsClient;
    private final RecordingZtunnel ztunnel = new RecordingZtunnel();
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void setUp() throws Exception {
        CniNode.assumeReferencePlugins();
        node = CniNode.create(dir);
        CniInstaller.Installed installed = node.install(agentSocket(), false, CniInstaller.Launcher.NATIVE);
        assertThat(Files.readString(node.binDir().resolve("ambient-cni.socket")).strip())
                .isEqualTo(agentSocket().toString());
        assertThat(node.binDir().resolve("ambient-cni.jar")).doesNotExist();
        assertThat(installed.cacheCreated()).isFalse();
        Files.createDirectories(dir.resolve("pods"));
        Files.writeString(dir.resolve("pods/ns.yaml"), """
                kind: Namespace
                metadata: {name: mesh, labels: {istio.io/dataplane-mode: ambient}}
                """);
        agent = startAgent();
        zdsClient = ZdsClient.start(
                dir.resolve("ztunnel.sock"),
                ztunnel,
                new ZdsClient.Backoff(Duration.ofMillis(20), Duration.ofMillis(200)));
        assertThat(ztunnel.next()).isEqualTo("snapshot sent");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (zdsClient != null) {
            zdsClient.close();
        }
        if (agent != null) {
            agent.close();
        }
        if (node != null) {
            node.close();
        }
    }

    private Path agentSocket() {
        return dir.resolve("agent.sock");
    }

    private NodeAgentServer startAgent() throws Exception {
        return NodeAgentServer.start(
                new NodeAgentServer.Settings(
                        dir.resolve("ztunnel.sock"),
                        agentSocket(),
                        Optional.of(dir.resolve("pods")),
                        Duration.ofMillis(200),
                        Optional.empty(),
                        Duration.ofSeconds(5)),
                new NftablesRedirector(RedirectionConfig.DEFAULTS));
    }

    @Test
    void addAndDelThroughTheNativeLauncher() throws Exception {
        CniRuntime runtime = node.runtime();
        Sandbox pod = node.newSandbox("mesh", "web");
        try {
            CniRuntime.AddResult added = runtime.add(pod);

            assertThat(added.podIp()).startsWith("198.18.");
            assertThat(added.result().path("cniVersion").asText()).isEqualTo("1.0.0");
            assertThat(ztunnel.next()).isEqualTo("add mesh/web sa=");
            assertThat(CniNode.exec(pod.netns(), "nft", "list", "tables").stdout())
                    .contains("ambient-java");
            runtime.check(pod);

            runtime.del(pod);

            assertThat(ztunnel.next()).isEqualTo("delete " + pod.uid());
            assertThat(CniNode.exec(pod.netns(), "nft", "list", "tables").stdout())
                    .doesNotContain("ambient-java");
        } finally {
            node.deleteSandbox(pod);
        }
    }

    @Test
    void withoutTheAgentAddFailsClearlyDelSucceedsAndVersionIsAnswered() throws Exception {
        agent.close();
        agent = null;
        CniRuntime runtime = node.runtime();
        Sandbox pod = node.newSandbox("mesh", "orphan");
        try {
            assertThatThrownBy(() -> runtime.add(pod)).isInstanceOfSatisfying(CniCallException.class, e -> {
                assertThat(e.pluginType()).isEqualTo("ambient-cni");
                assertThat(e.code()).isEqualTo(CniException.TRY_AGAIN_LATER);
                assertThat(e.msg()).isEqualTo("node agent not reachable at " + agentSocket());
                assertThat(e.details()).contains("is the ambient-java node agent running");
            });
            assertThat(CniNode.exec(pod.netns(), "ip", "-o", "link").stdout())
                    .as("the runtime's DEL after the failed ADD succeeded, bridge included")
                    .doesNotContain("eth0");

            Exec version = exec(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"1.0.0\"}");
            assertThat(version.exitCode()).isZero();
            assertThat(json.readTree(version.stdout()).get("supportedVersions").toString())
                    .contains("1.0.0");
        } finally {
            node.deleteSandbox(pod);
        }
    }

    @Test
    void malformedConfigurationIsTheSpecsDecodingError() throws Exception {
        Exec result = exec(
                Map.of(
                        "CNI_COMMAND", "ADD",
                        "CNI_CONTAINERID", "c1",
                        "CNI_NETNS", "/proc/self/ns/net",
                        "CNI_IFNAME", "eth0",
                        "CNI_ARGS", "K8S_POD_NAMESPACE=mesh;K8S_POD_NAME=x"),
                "{\"cniVersion\": \"1.0.0\",\n \"name\": }");

        assertThat(result.exitCode()).isEqualTo(1);
        JsonNode error = json.readTree(result.stdout());
        assertThat(error.get("code").asInt()).isEqualTo(CniException.DECODING_FAILURE);
        assertThat(error.get("details").asText()).contains("line 2");
    }

    private record Exec(int exitCode, String stdout) {}

    private Exec exec(Map<String, String> env, String stdin) throws Exception {
        ProcessBuilder builder =
                new ProcessBuilder(node.binDir().resolve("ambient-cni").toString());
        builder.environment().keySet().removeIf(key -> key.startsWith("CNI_"));
        builder.environment().putAll(env);
        Process process = builder.start();
        try (var in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return new Exec(process.exitValue(), stdout);
    }
}
