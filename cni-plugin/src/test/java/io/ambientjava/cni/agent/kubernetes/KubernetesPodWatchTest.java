package io.ambientjava.cni.agent.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ambientjava.cni.agent.KnownPod;
import io.ambientjava.cni.agent.NodeAgent;
import io.ambientjava.cni.redirect.PodRedirector;
import io.ambientjava.zds.ZdsServer;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's pods from fabric8's mock API server (CRUD mode): pods and namespaces created, relabelled and deleted,
 * and the agent's enrolled set following. Netns are plain files here; {@code KubernetesPodWatchNetnsTest} uses
 * real ones.
 */
class KubernetesPodWatchTest {
    private static final String NODE = "node-1";
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final MockApiServer api = new MockApiServer();
    private final KubernetesClient client = api.admin();

    @TempDir
    Path dir;

    private final List<String> redirections = new CopyOnWriteArrayList<>();
    private final Set<String> failingNetns = ConcurrentHashMap.newKeySet();
    private final PodRedirector redirector = new PodRedirector() {
        @Override
        public void apply(Path netns) {
            if (failingNetns.contains(netns.getFileName().toString())) {
                throw new io.ambientjava.cni.redirect.RedirectionException("nft rejected the rules in " + netns);
            }
            redirections.add("apply " + netns.getFileName());
        }

        @Override
        public void remove(Path netns) {
            redirections.add("remove " + netns.getFileName());
        }
    };
    /** Pod name → its "netns"; a pod missing here has no netns on the host. */
    private final Map<String, Path> netnsByName = new ConcurrentHashMap<>();

    private final PodNetnsLocator locator = pod -> Optional.ofNullable(netnsByName.get(pod.name()));
    private ZdsServer zds;
    private NodeAgent agent;
    private KubernetesPodWatch watch;

    @BeforeEach
    void startAgent() throws Exception {
        zds = ZdsServer.start(dir.resolve("ztunnel.sock"), ZdsServer.Settings.DEFAULTS);
        agent = new NodeAgent(zds, redirector);
    }

    @AfterEach
    void stop() {
        if (watch != null) {
            watch.close();
        }
        zds.close();
        api.close();
    }

    private void startWatch() {
        watch = KubernetesPodWatch.start(
                agent,
                api.newClient(),
                locator,
                new KubernetesPodWatch.Settings(NODE, Duration.ofSeconds(5), Duration.ofMillis(200)));
    }

    private Set<String> enrolledNames() {
        return agent.pods().values().stream().map(p -> p.info().getName()).collect(Collectors.toSet());
    }

    private Set<String> knownNames() {
        return agent.knownPods().stream().map(KnownPod::name).collect(Collectors.toSet());
    }

    private void namespace(String name, String mode) {
        Map<String, String> labels = new HashMap<>();
        if (mode != null) {
            labels.put("istio.io/dataplane-mode", mode);
        }
        Namespace namespace = new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .build();
        client.namespaces().resource(namespace).createOr(op -> op.update());
    }

    private Pod pod(String namespace, String name, String node, String ip, String mode) throws Exception {
        netnsByName.putIfAbsent(name, Files.createFile(dir.resolve("netns-" + name)));
        Map<String, String> labels = new HashMap<>(Map.of("app", name));
        if (mode != null) {
            labels.put("istio.io/dataplane-mode", mode);
        }
        Pod pod = new PodBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withNodeName(node)
                .withServiceAccountName("sa-" + name)
                .endSpec()
                .withNewStatus()
                .withPhase(ip == null ? "Pending" : "Running")
                .withPodIP(ip)
                .endStatus()
                .build();
        return client.pods().inNamespace(namespace).resource(pod).create();
    }

    private void relabelPod(String namespace, String name, String mode) {
        client.pods().inNamespace(namespace).withName(name).edit(pod -> {
            Map<String, String> labels = new HashMap<>(pod.getMetadata().getLabels());
            if (mode == null) {
                labels.remove("istio.io/dataplane-mode");
            } else {
                labels.put("istio.io/dataplane-mode", mode);
            }
            pod.getMetadata().setLabels(labels);
            return pod;
        });
    }

    @Test
    void podsRunningBeforeTheAgentAreEnrolledByTheirLabels() throws Exception {
        namespace("mesh", "ambient");
        namespace("plain", null);
        pod("mesh", "a", NODE, "198.18.0.10", null);
        pod("mesh", "opted-out", NODE, "198.18.0.11", "none");
        pod("plain", "c", NODE, "198.18.0.12", null);
        pod("plain", "pod-labelled", NODE, "198.18.0.13", "ambient");
        pod("mesh", "elsewhere", "node-2", "198.18.1.10", null);

        startWatch();

        await().atMost(WAIT).until(() -> enrolledNames().equals(Set.of("a", "pod-labelled")));
        assertThat(redirections).containsExactlyInAnyOrder("apply netns-a", "apply netns-pod-labelled");
        assertThat(agent.pods().values())
                .filteredOn(p -> p.info().getName().equals("a"))
                .singleElement()
                .satisfies(p -> {
                    assertThat(p.info().getServiceAccount()).isEqualTo("sa-a");
                    assertThat(p.info().getNamespace()).isEqualTo("mesh");
                    assertThat(p.netns()).isEqualTo(netnsByName.get("a"));
                });
        assertThat(watch.current().pods().values())
                .extracting(ScheduledPod::name)
                .containsExactlyInAnyOrder("a", "opted-out", "c", "pod-labelled");
        assertThat(zds.pods()).hasSize(2);
        assertThat(api.nodeSelectors()).isNotEmpty().allMatch("spec.nodeName=node-1"::equals);
    }

    @Test
    void namespaceAndPodLabelChangesEnrollAndUnenroll() throws Exception {
        namespace("shop", null);
        pod("shop", "web", NODE, "198.18.0.20", null);
        pod("shop", "db", NODE, "198.18.0.21", null);
        startWatch();
        await().atMost(WAIT).until(() -> watch.current().pods().size() == 2);
        assertThat(enrolledNames()).isEmpty();

        namespace("shop", "ambient");
        await().atMost(WAIT).until(() -> enrolledNames().equals(Set.of("web", "db")));

        relabelPod("shop", "db", "none");
        await().atMost(WAIT).until(() -> enrolledNames().equals(Set.of("web")));
        assertThat(redirections).contains("remove netns-db");
        assertThat(knownNames()).contains("db"); // known, out of the mesh

        relabelPod("shop", "db", null);
        await().atMost(WAIT).until(() -> enrolledNames().equals(Set.of("web", "db")));

        namespace("shop", null);
        await().atMost(WAIT).until(() -> enrolledNames().isEmpty());
        assertThat(zds.pods()).isEmpty();
    }

    @Test
    void deletedPodsAreTakenOutAndForgotten() throws Exception {
        namespace("mesh", "ambient");
        pod("mesh", "a", NODE, "198.18.0.30", null);
        pod("mesh", "b", NODE, "198.18.0.31", null);
        startWatch();
        await().atMost(WAIT).until(() -> enrolledNames().equals(Set.of("a", "b")));

        client.pods().inNamespace("mesh").withName("a").delete();

        await().atMost(WAIT).until(() -> enrolledNames().equals(Set.of("b")));
        assertThat(knownNames()).containsExactly("b");
        assertThat(redirections).contains("remove netns-a");
        assertThat(zds.pods()).hasSize(1);
    }

    @Test
    void podsCreatedLaterAreEnrolledOnceTheyHaveAnAddress() throws Exception {
        namespace("mesh", "ambient");
        startWatch();

        pod("mesh", "late", NODE, null, null);
        await().atMost(WAIT).until(() -> watch.current().pods().size() == 1);
        assertThat(enrolledNames()).isEmpty(); // scheduled, not wired yet

        client.pods().inNamespace("mesh").withName("late").edit(pod -> {
            pod.getStatus().setPodIP("198.18.0.40");
            pod.getStatus().setPhase("Running");
            return pod;
        });
        await().atMost(WAIT).until(() -> enrolledNames().equals(Set.of("late")));
    }

    @Test
    void aPodWhoseNetnsIsNotFoundYetIsLookedForAgain() throws Exception {
        namespace("mesh", "ambient");
        pod("mesh", "shy", NODE, "198.18.0.50", null);
        Path netns = netnsByName.remove("shy");
        startWatch();
        await().atMost(WAIT).until(() -> watch.current().pods().size() == 1);
        assertThat(enrolledNames()).isEmpty();

        netnsByName.put("shy", netns); // the runtime's netns appears
        await().atMost(WAIT).until(() -> enrolledNames().equals(Set.of("shy")));
    }

    @Test
    void hostNetworkAndFinishedPodsAreNeverEnrolled() throws Exception {
        namespace("mesh", "ambient");
        Pod host = pod("mesh", "host", NODE, "198.18.0.60", null);
        client.pods().inNamespace("mesh").withName("host").edit(pod -> {
            pod.getSpec().setHostNetwork(true);
            return pod;
        });
        pod("mesh", "done", NODE, "198.18.0.61", null);
        client.pods().inNamespace("mesh").withName("done").edit(pod -> {
            pod.getStatus().setPhase("Succeeded");
            return pod;
        });
        pod("mesh", "a", NODE, "198.18.0.62", null);
        startWatch();

        await().atMost(WAIT).until(() -> enrolledNames().equals(Set.of("a")));
        assertThat(host.getMetadata().getUid()).isNotBlank();
        assertThat(knownNames()).containsExactly("a");
    }

    @Test
    void anApiServerDownAtStartIsWaitedFor() throws Exception {
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        watch = KubernetesPodWatch.start(
                agent,
                new io.fabric8.kubernetes.client.KubernetesClientBuilder()
                        .withConfig(MockApiServer.config(port))
                        .build(),
                locator,
                new KubernetesPodWatch.Settings(NODE, Duration.ofSeconds(1), Duration.ofMillis(200)));
        assertThat(watch.current().pods()).isEmpty();

        try (MockApiServer late = new MockApiServer(port)) {
            KubernetesClient lateClient = late.admin();
            lateClient
                    .namespaces()
                    .resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName("mesh")
                            .withLabels(Map.of("istio.io/dataplane-mode", "ambient"))
                            .endMetadata()
                            .build())
                    .create();
            netnsByName.put("early", Files.createFile(dir.resolve("netns-early")));
            lateClient
                    .pods()
                    .inNamespace("mesh")
                    .resource(new PodBuilder()
                            .withNewMetadata()
                            .withNamespace("mesh")
                            .withName("early")
                            .endMetadata()
                            .withNewSpec()
                            .withNodeName(NODE)
                            .endSpec()
                            .withNewStatus()
                            .withPhase("Running")
                            .withPodIP("198.18.0.70")
                            .endStatus()
                            .build())
                    .create();
            await().atMost(Duration.ofSeconds(30)).until(() -> enrolledNames().equals(Set.of("early")));
            watch.close();
            watch = null;
        }
    }

    @Test
    void aPodWhoseRulesFailDoesNotKeepOthersOutAndIsTriedAgain() throws Exception {
        namespace("mesh", "ambient");
        failingNetns.add("netns-bad");
        pod("mesh", "bad", NODE, "198.18.0.80", null);
        pod("mesh", "good", NODE, "198.18.0.81", null);
        startWatch();
        await().atMost(WAIT).until(() -> enrolledNames().equals(Set.of("good")));

        failingNetns.clear(); // e.g. the netns was still being set up
        await().atMost(WAIT).until(() -> enrolledNames().equals(Set.of("good", "bad")));
    }

    @Test
    void aNodeNameIsRequired() {
        assertThatThrownBy(() -> KubernetesPodWatch.start(
                        agent, api.newClient(), locator, new KubernetesPodWatch.Settings(" ", WAIT, WAIT)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--node-name");
    }
}
