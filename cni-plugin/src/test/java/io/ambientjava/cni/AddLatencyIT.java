package io.ambientjava.cni;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.cni.agent.NodeAgentServer;
import io.ambientjava.cni.install.CniInstaller;
import io.ambientjava.cni.redirect.NftablesRedirector;
import io.ambientjava.cni.redirect.RedirectionConfig;
import io.ambientjava.cni.runtime.CniNode;
import io.ambientjava.cni.runtime.CniRuntime;
import io.ambientjava.cni.runtime.RecordingZtunnel;
import io.ambientjava.cni.runtime.Sandbox;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.zds.ZdsClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ADD latency as the runtime sees it (exec of our launcher to its result), measured, not asserted: a benchmark,
 * so it only runs on request: {@code ./mvnw -B -q -pl cni-plugin verify -Dit.test=AddLatencyIT
 * -Dtest=None -Dsurefire.failIfNoSpecifiedTests=false -Dcni.latency=20}. Each ADD enrolls a fresh pod for real
 * (nftables in its netns, ZDS add acked by a recording ztunnel); printed: median and p90 of our plugin's exec and
 * of the whole chain, with the AOT cache and without it, and a bare JVM "hello" for the floor.
 */
@RequiresRoot
@RequiresCommand({"nft", "ip", "nsenter"})
class AddLatencyIT {
    @TempDir
    Path dir;

    @Test
    void measure() throws Exception {
        int count = Integer.getInteger("cni.latency", 0);
        Assumptions.assumeTrue(count > 0, "latency run only with -Dcni.latency=<ADDs>");
        CniNode.assumeReferencePlugins();
        try (CniNode node = CniNode.create(dir)) {
            Path agentSocket = dir.resolve("agent.sock");
            CniInstaller.Installed installed = node.install(agentSocket, true);
            assertThat(installed.cacheCreated()).isTrue();
            try (NodeAgentServer agent = NodeAgentServer.start(
                            new NodeAgentServer.Settings(
                                    dir.resolve("ztunnel.sock"),
                                    agentSocket,
                                    Optional.empty(),
                                    Duration.ofSeconds(1),
                                    Optional.of(dir.resolve("pods.json")),
                                    Duration.ofSeconds(5)),
                            new NftablesRedirector(RedirectionConfig.DEFAULTS));
                    ZdsClient ztunnel = ZdsClient.start(
                            dir.resolve("ztunnel.sock"),
                            new RecordingZtunnel(),
                            new ZdsClient.Backoff(Duration.ofMillis(20), Duration.ofMillis(200)))) {
                org.awaitility.Awaitility.await().until(() -> agent.zds().ztunnelConnected());
                CniRuntime runtime = node.runtime();
                run(node, runtime, 3, "warm-up");
                report(
                        "node agent only (in-process client: socket, nftables, ZDS ack)",
                        agentOnly(node, agentSocket, count));
                report("with AOT cache", run(node, runtime, count, "aot"));
                Path cache = node.binDir().resolve(CniInstaller.AOT_CACHE);
                Path aside = dir.resolve("aside.aot");
                Files.move(cache, aside);
                report("without AOT cache", run(node, runtime, count, "plain"));
                Files.move(aside, cache);
                report("JVM floor (java -version, same flags, no cache)", floor(count));
                node.install(agentSocket, false, CniInstaller.Launcher.NATIVE);
                CniRuntime nativeRuntime = node.runtime();
                run(node, nativeRuntime, 3, "native-warm-up");
                report(
                        "native launcher (the plugin code runs in the agent)",
                        run(node, nativeRuntime, count, "native"));
            }
        }
    }

    private record Sample(long pluginMs, long chainMs) {}

    private static List<Sample> run(CniNode node, CniRuntime runtime, int count, String tag) throws Exception {
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Sandbox pod = node.newSandbox("bench", tag + "-" + i);
            try {
                long start = System.nanoTime();
                CniRuntime.AddResult added = runtime.add(pod);
                long chain = System.nanoTime() - start;
                samples.add(new Sample(added.took("ambient-cni").toMillis(), chain / 1_000_000));
                runtime.del(pod);
            } finally {
                node.deleteSandbox(pod);
            }
        }
        return samples;
    }

    /** The agent's share: the plugin's request sent from this JVM, so no process start is in the figure. */
    private List<Sample> agentOnly(CniNode node, Path agentSocket, int count) throws Exception {
        Path bridgeOnly = dir.resolve("bridge-only.conflist");
        Files.writeString(bridgeOnly, node.primaryConfig());
        CniRuntime bridge = new CniRuntime(bridgeOnly, List.of(CniNode.REFERENCE_PLUGINS), node.nodeNetns());
        AgentClientEnrollment client = new AgentClientEnrollment(agentSocket);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Sandbox pod = node.newSandbox("bench", "agent-" + i);
            try {
                bridge.add(pod);
                CniPod cniPod = new CniPod(pod.uid(), pod.name(), pod.namespace(), "", pod.containerId(), pod.netns());
                long start = System.nanoTime();
                client.add(cniPod);
                long ms = (System.nanoTime() - start) / 1_000_000;
                samples.add(new Sample(ms, ms));
                client.remove(cniPod);
                bridge.del(pod);
            } finally {
                node.deleteSandbox(pod);
            }
        }
        return samples;
    }

    private static List<Sample> floor(int count) throws Exception {
        List<Sample> samples = new ArrayList<>();
        Path java = CniInstaller.currentJava();
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            Process process = new ProcessBuilder(
                            java.toString(),
                            "-XX:TieredStopAtLevel=1",
                            "-XX:+UseSerialGC",
                            "-XX:-UsePerfData",
                            "-version")
                    .redirectErrorStream(true)
                    .start();
            process.getInputStream().readAllBytes();
            process.waitFor();
            long ms = (System.nanoTime() - start) / 1_000_000;
            samples.add(new Sample(ms, ms));
        }
        return samples;
    }

    private static void report(String what, List<Sample> samples) {
        List<Long> plugin = samples.stream().map(Sample::pluginMs).sorted().toList();
        List<Long> chain = samples.stream().map(Sample::chainMs).sorted().toList();
        System.out.printf(
                "ADD latency %s, %d runs: ambient-cni exec median %d ms p90 %d ms (min %d max %d);"
                        + " whole chain (loopback, bridge, ambient-cni) median %d ms p90 %d ms; load average %s%n",
                what,
                samples.size(),
                percentile(plugin, 50),
                percentile(plugin, 90),
                plugin.getFirst(),
                plugin.getLast(),
                percentile(chain, 50),
                percentile(chain, 90),
                loadAverage());
    }

    private static long percentile(List<Long> sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (Exception e) {
            return "?";
        }
    }
}
