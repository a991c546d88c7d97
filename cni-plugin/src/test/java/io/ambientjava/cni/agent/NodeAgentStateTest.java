package io.ambientjava.cni.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.cni.CniPod;
import io.ambientjava.cni.agent.podstate.PodState;
import io.ambientjava.cni.redirect.PodRedirector;
import io.ambientjava.zds.ZdsServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's bookkeeping without a kernel: a recording redirector, netns "paths" that are plain files (present
 * or deleted), a ZDS server no ztunnel connects to.
 */
class NodeAgentStateTest {
    private static final Map<String, String> AMBIENT = Map.of("istio.io/dataplane-mode", "ambient");

    @TempDir
    Path dir;

    private final List<String> redirections = new CopyOnWriteArrayList<>();
    private final PodRedirector redirector = new PodRedirector() {
        @Override
        public void apply(Path netns) {
            redirections.add("apply " + netns.getFileName());
        }

        @Override
        public void remove(Path netns) {
            redirections.add("remove " + netns.getFileName());
        }
    };
    private ZdsServer zds;
    private KnownPodsFile file;

    @BeforeEach
    void start() throws Exception {
        zds = ZdsServer.start(dir.resolve("ztunnel.sock"), ZdsServer.Settings.DEFAULTS);
        file = new KnownPodsFile(dir.resolve("state/pods.json"));
    }

    @AfterEach
    void stop() {
        zds.close();
    }

    private CniPod pod(String namespace, String name) throws Exception {
        Path netns = Files.createFile(dir.resolve("netns-" + name));
        return new CniPod("uid-" + name, name, namespace, "", "ctr-" + name, netns);
    }

    private static PodState namespaces(Map<String, Map<String, String>> labels) {
        return new PodState(labels, Map.of());
    }

    @Test
    void podsAreEnrolledByNamespaceLabelAndFollowItsChanges() throws Exception {
        NodeAgent agent = new NodeAgent(zds, redirector, file);
        agent.usePodState(namespaces(Map.of("mesh", AMBIENT)));

        agent.podAdded(pod("mesh", "a"));
        agent.podAdded(pod("plain", "b"));

        assertThat(redirections).containsExactly("apply netns-a");
        assertThat(agent.pods()).containsOnlyKeys("uid-a");
        assertThat(zds.pods()).containsExactly("uid-a");
        assertThat(file.read())
                .extracting(KnownPod::uid, KnownPod::enrolled)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("uid-a", true),
                        org.assertj.core.groups.Tuple.tuple("uid-b", false));

        agent.usePodState(namespaces(Map.of("plain", AMBIENT)));

        assertThat(redirections).containsExactlyInAnyOrder("apply netns-a", "apply netns-b", "remove netns-a");
        assertThat(agent.pods()).containsOnlyKeys("uid-b");
        assertThat(zds.pods()).containsExactly("uid-b");
        assertThat(agent.knownPods()).hasSize(2);

        agent.remove("uid-b");
        agent.remove("uid-a");
        assertThat(redirections).endsWith("remove netns-b");
        assertThat(file.read()).isEmpty();
    }

    @Test
    void serviceAccountComesFromThePodDocumentWhenThereIsOne() throws Exception {
        NodeAgent agent = new NodeAgent(zds, redirector, file);
        agent.usePodState(new PodState(
                Map.of("mesh", AMBIENT),
                Map.of(new PodState.PodKey("mesh", "a"), new PodState.PodMeta("", Map.of(), "a-sa"))));

        agent.podAdded(pod("mesh", "a"));

        assertThat(agent.pods().get("uid-a").info().getServiceAccount()).isEqualTo("a-sa");
    }

    @Test
    void withoutPodStateEveryPodIsEnrolled() throws Exception {
        NodeAgent agent = new NodeAgent(zds, redirector);

        agent.podAdded(pod("anything", "a"));

        assertThat(agent.pods()).containsOnlyKeys("uid-a");
    }

    @Test
    void restoreKeepsPodsWhoseNetnsExistsWithoutTouchingRulesAndDropsTheRest() throws Exception {
        NodeAgent before = new NodeAgent(zds, redirector, file);
        before.podAdded(pod("mesh", "stays"));
        before.podAdded(pod("mesh", "goes"));
        Files.delete(dir.resolve("netns-goes"));
        redirections.clear();
        zds.close();
        zds = ZdsServer.start(dir.resolve("ztunnel.sock"), ZdsServer.Settings.DEFAULTS);

        NodeAgent after = new NodeAgent(zds, redirector, file);
        NodeAgent.Restored restored = after.restore(file.read());

        assertThat(restored.kept()).containsExactly("uid-stays");
        assertThat(restored.removed()).containsExactly("uid-goes");
        assertThat(redirections).as("rules untouched").isEmpty();
        assertThat(zds.pods()).as("in ztunnel's next snapshot").containsExactly("uid-stays");
        assertThat(after.pods()).containsOnlyKeys("uid-stays");
        assertThat(file.read()).extracting(KnownPod::uid).containsExactly("uid-stays");
    }

    @Test
    void aCorruptStateFileIsReportedWithItsName() throws Exception {
        Files.createDirectories(file.path().getParent());
        Files.writeString(file.path(), "{\"pods\": [ {\"uid\": \"x\"} ]}");
        assertThatThrownBy(() -> file.read())
                .hasMessageContaining(file.path().toString())
                .hasMessageContaining("without uid or netns");

        Files.writeString(file.path(), "{not json");
        assertThatThrownBy(() -> file.read()).hasMessageContaining("is unreadable");
    }
}
