package io.ambientjava.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ambientjava.cni.agent.NodeAgentServer;
import io.ambientjava.cni.agent.podstate.PodState;
import io.ambientjava.cni.agent.podstate.PodStateFolder;
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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pods made as a container runtime makes them: a network namespace, the node's conflist (Debian's reference
 * {@code bridge} + {@code host-local}) with our plugin chained last by the installer, each plugin exec'd with
 * the CNI environment; the node agent in-process with real nftables, a recording ztunnel on ZDS.
 */
@RequiresRoot
@RequiresCommand({"nft", "ip", "nsenter"})
class ChainedPluginIT {
    private static final ZdsClient.Backoff QUICK = new ZdsClient.Backoff(Duration.ofMillis(20), Duration.ofMillis(200));

    @TempDir
    static Path dir;

    private static CniNode node;
    private static CniInstaller.Installed installed;

    private final ObjectMapper json = new ObjectMapper();
    private final List<Sandbox> sandboxes = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Path podState;
    private NodeAgentServer agent;
    private RecordingZtunnel ztunnel;
    private CniRuntime runtime;

    @BeforeAll
    static void installOnTheNode() throws IOException {
        CniNode.assumeReferencePlugins();
        node = CniNode.create(dir);
        installed = node.install(agentSocket(), true);
    }

    @AfterAll
    static void removeTheNode() {
        if (node != null) {
            node.close();
        }
    }

    @BeforeEach
    void startAgentAndZtunnel() throws Exception {
        podState = Files.createDirectories(dir.resolve("pods-" + System.nanoTime()));
        Files.writeString(podState.resolve("namespaces.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: mesh
                  labels:
                    istio.io/dataplane-mode: ambient
                ---
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: plain
                """);
        Files.deleteIfExists(stateFile());
        agent = startAgent();
        ztunnel = new RecordingZtunnel();
        resources.add(ZdsClient.start(zdsSocket(), ztunnel, QUICK));
        assertThat(ztunnel.next()).isEqualTo("snapshot sent");
        runtime = node.runtime();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Sandbox sandbox : sandboxes) {
            try {
                runtime.del(sandbox);
            } catch (CniCallException | RuntimeException e) {
                // Already deleted by the test, or the agent is down: the netns goes anyway.
            }
            node.deleteSandbox(sandbox);
        }
        for (AutoCloseable resource : resources.reversed()) {
            resource.close();
        }
        if (agent != null) {
            agent.close();
        }
    }

    private static Path agentSocket() {
        return dir.resolve("agent.sock");
    }

    private static Path zdsSocket() {
        return dir.resolve("ztunnel.sock");
    }

    private static Path stateFile() {
        return dir.resolve("known-pods.json");
    }

    private NodeAgentServer startAgent() throws IOException {
        return NodeAgentServer.start(
                new NodeAgentServer.Settings(
                        zdsSocket(),
                        agentSocket(),
                        Optional.of(podState),
                        Duration.ofMillis(100),
                        Optional.of(stateFile()),
                        Duration.ofSeconds(5)),
                new NftablesRedirector(RedirectionConfig.DEFAULTS));
    }

    private Sandbox sandbox(String namespace, String name) {
        Sandbox sandbox = node.newSandbox(namespace, name);
        sandboxes.add(sandbox);
        return sandbox;
    }

    private static boolean redirected(Sandbox sandbox) {
        return CniNode.exec(sandbox.netns(), "nft", "list", "tables")
                .orThrow()
                .stdout()
                .contains("ambient-java");
    }

    private static String rules(Sandbox sandbox) {
        return CniNode.exec(sandbox.netns(), "nft", "-a", "list", "table", "inet", "ambient-java")
                        .orThrow()
                        .stdout()
                + CniNode.exec(sandbox.netns(), "ip", "rule", "show").orThrow().stdout();
    }

    private List<String> bridgePorts() {
        String out = node.nodeExec("ip", "-o", "link", "show", "master", node.bridge())
                .stdout();
        return out.lines().filter(line -> !line.isBlank()).toList();
    }

    @Test
    void installerChainedUsLastInTheNodesConflist() throws Exception {
        JsonNode list = json.readTree(installed.config().toFile());
        assertThat(list.get("plugins").get(0).get("type").asText()).isEqualTo("bridge");
        assertThat(list.get("plugins").get(1).get("type").asText()).isEqualTo("ambient-cni");
        assertThat(list.get("plugins").get(1).get("agentSocket").asText())
                .isEqualTo(agentSocket().toString());
        assertThat(installed.cacheCreated())
                .as("AOT cache made by the training run")
                .isTrue();
    }

    @Test
    void enrolledPodIsRedirectedAndHandedToZtunnelThenDelLeavesNothingBehind() throws Exception {
        Files.writeString(podState.resolve("web.yaml"), """
                apiVersion: v1
                kind: Pod
                metadata: {name: web, namespace: mesh, labels: {app: web}}
                spec: {serviceAccountName: web-sa}
                """);
        agent.agent().usePodState(podStateNow());
        Sandbox web = sandbox("mesh", "web");

        CniRuntime.AddResult added = runtime.add(web);

        assertThat(added.podIp()).startsWith("198.18.");
        assertThat(added.result().path("interfaces").toString()).contains("eth0");
        assertThat(added.calls()).extracting(CniRuntime.PluginCall::type).containsExactly("bridge", "ambient-cni");
        assertThat(ztunnel.next()).isEqualTo("add mesh/web sa=web-sa");
        assertThat(redirected(web)).isTrue();
        assertThat(CniNode.exec(web.netns(), "ip", "-br", "addr", "show", "lo").stdout())
                .as("loopback up")
                .contains("127.0.0.1/8");
        runtime.check(web);
        assertThat(Files.readString(stateFile())).contains(web.uid());

        runtime.del(web);

        assertThat(ztunnel.next()).isEqualTo("delete " + web.uid());
        assertThat(redirected(web)).isFalse();
        assertThat(CniNode.exec(web.netns(), "ip", "rule", "show").stdout()).doesNotContain("0x111");
        assertThat(CniNode.exec(web.netns(), "ip", "-o", "link").stdout()).doesNotContain("eth0");
        assertThat(bridgePorts()).isEmpty();
        assertThat(agent.agent().knownPods()).isEmpty();
        assertThat(Files.readString(stateFile())).doesNotContain(web.uid());
    }

    @Test
    void podInANamespaceWithoutTheLabelIsUntouched() throws Exception {
        Sandbox plain = sandbox("plain", "app");

        CniRuntime.AddResult added = runtime.add(plain);

        assertThat(added.podIp()).startsWith("198.18.");
        assertThat(redirected(plain)).isFalse();
        ztunnel.assertQuietFor(Duration.ofMillis(300));
        assertThat(agent.agent().pods()).isEmpty();
        assertThat(agent.agent().knownPods()).hasSize(1);
    }

    @Test
    void podOptOutLabelKeepsAPodOfAnAmbientNamespaceOut() throws Exception {
        Files.writeString(podState.resolve("batch.yaml"), """
                apiVersion: v1
                kind: Pod
                metadata: {name: batch, namespace: mesh, labels: {istio.io/dataplane-mode: none}}
                """);
        agent.agent().usePodState(podStateNow());
        Sandbox batch = sandbox("mesh", "batch");

        runtime.add(batch);

        assertThat(redirected(batch)).isFalse();
        ztunnel.assertQuietFor(Duration.ofMillis(300));
    }

    @Test
    void namespaceLabelChangesEnrollAndUnenrollRunningPods() throws Exception {
        Sandbox late = sandbox("plain", "late");
        runtime.add(late);
        assertThat(redirected(late)).isFalse();

        Files.writeString(podState.resolve("namespaces.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: plain
                  labels: {istio.io/dataplane-mode: ambient}
                """);

        assertThat(ztunnel.next()).isEqualTo("add plain/late sa=");
        await().atMost(5, TimeUnit.SECONDS).until(() -> redirected(late));

        Files.writeString(podState.resolve("namespaces.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: plain
                """);

        assertThat(ztunnel.next()).isEqualTo("delete " + late.uid());
        await().atMost(5, TimeUnit.SECONDS).until(() -> !redirected(late));
        assertThat(agent.agent().knownPods()).hasSize(1);
    }

    @Test
    void agentRestartKeepsEnrolledPodsAndCleansUpPodsThatVanishedMeanwhile() throws Exception {
        Sandbox stays = sandbox("mesh", "stays");
        Sandbox goes = sandbox("mesh", "goes");
        runtime.add(stays);
        runtime.add(goes);
        assertThat(ztunnel.next()).isEqualTo("add mesh/stays sa=");
        assertThat(ztunnel.next()).isEqualTo("add mesh/goes sa=");
        String rulesBefore = rules(stays);

        agent.close();
        agent = null;
        runtime.del(goes); // the plugin cannot reach the agent; DEL still succeeds (the runtime moves on)
        node.deleteSandbox(goes);
        sandboxes.remove(goes);
        agent = startAgent();

        assertThat(agent.restored().kept()).containsExactly(stays.uid());
        assertThat(agent.restored().removed()).containsExactly(goes.uid());
        assertThat(ztunnel.next()).as("replay after reconnect").isEqualTo("add mesh/stays sa=");
        assertThat(List.of(ztunnel.next(), ztunnel.next()))
                .as("ztunnel drops what the replay left out when the snapshot ends")
                .containsExactlyInAnyOrder("delete " + goes.uid(), "snapshot sent");
        assertThat(rules(stays)).as("rules untouched across the restart").isEqualTo(rulesBefore);
        assertThat(agent.agent().pods()).containsOnlyKeys(stays.uid());
    }

    @Test
    void unreachableAgentFailsTheAddWithAClearCniErrorAndTheRuntimeUndoesTheBridge() throws Exception {
        agent.close();
        agent = null;
        Sandbox pod = sandbox("mesh", "orphan");

        assertThatThrownBy(() -> runtime.add(pod)).isInstanceOfSatisfying(CniCallException.class, e -> {
            assertThat(e.pluginType()).isEqualTo("ambient-cni");
            assertThat(e.code()).isEqualTo(CniException.TRY_AGAIN_LATER);
            assertThat(e.msg()).isEqualTo("node agent not reachable at " + agentSocket());
            assertThat(e.details()).contains("is the ambient-java node agent running");
        });
        assertThat(CniNode.exec(pod.netns(), "ip", "-o", "link").stdout()).doesNotContain("eth0");
        assertThat(bridgePorts()).isEmpty();
    }

    @Test
    void malformedConfigurationsGetTheSpecsErrors() throws Exception {
        Path notChained = dir.resolve("not-chained.conflist");
        Files.writeString(notChained, """
                {"cniVersion":"1.0.0","name":"bad","plugins":[{"type":"ambient-cni","agentSocket":"%s"}]}
                """.formatted(agentSocket()));
        Sandbox pod = sandbox("mesh", "misconfigured");
        CniRuntime wrong = new CniRuntime(notChained, List.of(node.binDir(), CniNode.REFERENCE_PLUGINS), null);

        assertThatThrownBy(() -> wrong.add(pod)).isInstanceOfSatisfying(CniCallException.class, e -> {
            assertThat(e.code()).isEqualTo(CniException.INVALID_NETWORK_CONFIG);
            assertThat(e.msg()).isEqualTo("prevResult is missing");
            assertThat(e.details()).contains("chained after the primary network plugin");
        });

        ProcessBuilder direct =
                new ProcessBuilder(node.binDir().resolve("ambient-cni").toString());
        direct.environment().put("CNI_COMMAND", "ADD");
        direct.environment().put("CNI_CONTAINERID", pod.containerId());
        direct.environment().put("CNI_NETNS", pod.netns().toString());
        direct.environment().put("CNI_IFNAME", "eth0");
        direct.environment().put("CNI_ARGS", pod.cniArgs());
        Process process = direct.start();
        try (var stdin = process.getOutputStream()) {
            stdin.write("{\"cniVersion\": \"1.0.0\",\n \"name\": }".getBytes(StandardCharsets.UTF_8));
        }
        JsonNode error = json.readTree(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).isEqualTo(1);
        assertThat(error.get("code").asInt()).isEqualTo(CniException.DECODING_FAILURE);
        assertThat(error.get("msg").asText()).isEqualTo("cannot decode network configuration");
        assertThat(error.get("details").asText()).contains("line 2");
    }

    private PodState podStateNow() {
        // The folder is polled every 100 ms; reading it here makes the test independent of that timing.
        try (PodStateFolder folder = PodStateFolder.watch(podState, Duration.ofHours(1), state -> {})) {
            return folder.current();
        }
    }
}
