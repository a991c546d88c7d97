package io.ambientjava.cni.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ambientjava.api.zds.WorkloadInfo;
import io.ambientjava.cni.CniException;
import io.ambientjava.cni.CniPlugin;
import io.ambientjava.cni.redirect.NftablesRedirector;
import io.ambientjava.cni.redirect.RedirectionConfig;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.zds.NamespaceFds;
import io.ambientjava.zds.WorkloadHandler;
import io.ambientjava.zds.ZdsClient;
import io.ambientjava.zds.ZdsServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The CNI plugin driving the node agent: real pod netns, real nftables, a real ZDS exchange with a client. */
@RequiresRoot
@RequiresCommand({"nft", "ip", "nsenter"})
class NodeAgentTest {
    private static final ZdsClient.Backoff QUICK = new ZdsClient.Backoff(Duration.ofMillis(20), Duration.ofMillis(200));

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.singleNode();

    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();

    /** ztunnel's side as seen by the test: what it was told, and the inode of each netns it got. */
    private static final class Ztunnel implements WorkloadHandler {
        final LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
        final Map<String, Object> inodes = new ConcurrentHashMap<>();
        final Map<String, String> refusals = new ConcurrentHashMap<>();

        @Override
        public Outcome add(String uid, WorkloadInfo info, int netnsFd) {
            if (refusals.containsKey(uid)) {
                return Outcome.failed(refusals.get(uid));
            }
            try {
                inodes.put(uid, Files.getAttribute(Path.of("/proc/self/fd/" + netnsFd), "unix:ino"));
            } catch (Exception e) {
                return Outcome.failed(e.toString());
            } finally {
                NamespaceFds.close(netnsFd);
            }
            events.add("add " + uid + " " + info.getNamespace() + "/" + info.getName() + " sa="
                    + info.getServiceAccount());
            return Outcome.ok();
        }

        @Override
        public Outcome delete(String uid) {
            events.add("delete " + uid);
            return Outcome.ok();
        }

        @Override
        public Outcome keep(String uid) {
            events.add("keep " + uid);
            return Outcome.ok();
        }

        @Override
        public Outcome snapshotSent() {
            events.add("snapshot sent");
            return Outcome.ok();
        }

        String next() throws InterruptedException {
            String event = events.poll(5, TimeUnit.SECONDS);
            assertThat(event).as("event within 5 s").isNotNull();
            return event;
        }
    }

    private static Map<String, String> env(String command, Pod pod) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "ctr-" + pod.name());
        env.put("CNI_NETNS", pod.netnsPath().toString());
        env.put("CNI_IFNAME", "eth0");
        env.put(
                "CNI_ARGS",
                "K8S_POD_NAMESPACE=default;K8S_POD_NAME=" + pod.name() + ";K8S_POD_UID=uid-" + pod.name()
                        + ";K8S_POD_SERVICE_ACCOUNT=sa-" + pod.name());
        return env;
    }

    private static String config(Pod pod) {
        return """
                {"cniVersion":"1.0.0","name":"ambient","type":"ambient-java",
                 "prevResult":{"cniVersion":"1.0.0","ips":[{"address":"%s/24"}]}}""".formatted(pod.ip().getHostAddress());
    }

    private static boolean hasOurTable(Pod pod) {
        return pod.exec("nft", "list", "tables").orThrow().stdout().contains("ambient-java");
    }

    @Test
    void addRedirectsAndHandsTheNetnsToZtunnelThenDelUndoesBoth() throws Exception {
        Pod a = net.addPod("a");
        ZdsServer zds = net.onTeardown(ZdsServer.start(dir.resolve("ztunnel.sock"), ZdsServer.Settings.DEFAULTS));
        Ztunnel ztunnel = new Ztunnel();
        net.onTeardown(ZdsClient.start(zds.path(), ztunnel, QUICK));
        assertThat(ztunnel.next()).isEqualTo("snapshot sent");
        NodeAgent agent = new NodeAgent(zds, new NftablesRedirector(RedirectionConfig.DEFAULTS));
        CniPlugin plugin = new CniPlugin(new NodeAgentEnrollment(agent, Duration.ofSeconds(5)));

        CniPlugin.Outcome added = plugin.execute(env("ADD", a), config(a));

        assertThat(added.exitCode()).as(added.stdout()).isZero();
        assertThat(json.readTree(added.stdout())
                        .get("ips")
                        .get(0)
                        .get("address")
                        .asText())
                .isEqualTo(a.ip().getHostAddress() + "/24");
        assertThat(ztunnel.next()).isEqualTo("add uid-a default/a sa=sa-a");
        assertThat(ztunnel.inodes.get("uid-a")).isEqualTo(Files.getAttribute(a.netnsPath(), "unix:ino"));
        assertThat(hasOurTable(a)).isTrue();
        assertThat(agent.pods()).containsOnlyKeys("uid-a");

        CniPlugin.Outcome deleted = plugin.execute(env("DEL", a), config(a));

        assertThat(deleted.exitCode()).as(deleted.stdout()).isZero();
        assertThat(ztunnel.next()).isEqualTo("delete uid-a");
        assertThat(hasOurTable(a)).isFalse();
        assertThat(agent.pods()).isEmpty();
        assertThat(plugin.execute(env("DEL", a), config(a)).exitCode())
                .as("a second DEL is fine")
                .isZero();
    }

    @Test
    void withoutZtunnelAddIsRetryableAndThePodIsInTheLaterSnapshot() throws Exception {
        Pod a = net.addPod("a");
        ZdsServer zds = net.onTeardown(ZdsServer.start(dir.resolve("ztunnel.sock"), ZdsServer.Settings.DEFAULTS));
        NodeAgent agent = new NodeAgent(zds, new NftablesRedirector(RedirectionConfig.DEFAULTS));
        CniPlugin plugin = new CniPlugin(new NodeAgentEnrollment(agent, Duration.ofSeconds(5)));

        JsonNode error = json.readTree(plugin.execute(env("ADD", a), config(a)).stdout());

        assertThat(error.get("code").asInt()).isEqualTo(CniException.TRY_AGAIN_LATER);
        assertThat(error.get("msg").asText()).contains("no ztunnel connected");
        assertThat(hasOurTable(a)).as("rules stay, as upstream").isTrue();
        Ztunnel ztunnel = new Ztunnel();
        net.onTeardown(ZdsClient.start(zds.path(), ztunnel, QUICK));
        assertThat(ztunnel.next()).isEqualTo("add uid-a default/a sa=sa-a");
        assertThat(ztunnel.next()).isEqualTo("snapshot sent");
    }

    @Test
    void aNackFailsTheAddWithZtunnelsText() throws Exception {
        Pod a = net.addPod("a");
        ZdsServer zds = net.onTeardown(ZdsServer.start(dir.resolve("ztunnel.sock"), ZdsServer.Settings.DEFAULTS));
        Ztunnel ztunnel = new Ztunnel();
        ztunnel.refusals.put("uid-a", "cannot bind 15001 in pod");
        net.onTeardown(ZdsClient.start(zds.path(), ztunnel, QUICK));
        assertThat(ztunnel.next()).isEqualTo("snapshot sent");
        NodeAgent agent = new NodeAgent(zds, new NftablesRedirector(RedirectionConfig.DEFAULTS));
        CniPlugin plugin = new CniPlugin(new NodeAgentEnrollment(agent, Duration.ofSeconds(5)));

        JsonNode error = json.readTree(plugin.execute(env("ADD", a), config(a)).stdout());

        assertThat(error.get("code").asInt()).isEqualTo(CniException.ENROLLMENT_FAILED);
        assertThat(error.get("msg").asText()).contains("cannot bind 15001 in pod");
    }

    @Test
    void aMissingNetnsFailsTheAddAndEnrollsNothing() throws Exception {
        Pod a = net.addPod("a");
        ZdsServer zds = net.onTeardown(ZdsServer.start(dir.resolve("ztunnel.sock"), ZdsServer.Settings.DEFAULTS));
        NodeAgent agent = new NodeAgent(zds, new NftablesRedirector(RedirectionConfig.DEFAULTS));
        CniPlugin plugin = new CniPlugin(new NodeAgentEnrollment(agent, Duration.ofSeconds(5)));
        Map<String, String> env = env("ADD", a);
        env.put("CNI_NETNS", "/var/run/netns/aj-not-there");

        JsonNode error = json.readTree(plugin.execute(env, config(a)).stdout());

        assertThat(error.get("code").asInt()).isEqualTo(CniException.ENROLLMENT_FAILED);
        assertThat(error.get("msg").asText()).isEqualTo("cannot redirect pod traffic");
        assertThat(error.get("details").asText()).contains("/var/run/netns/aj-not-there does not exist");
        assertThat(agent.pods()).isEmpty();
        assertThat(zds.pods()).isEmpty();
    }
}
