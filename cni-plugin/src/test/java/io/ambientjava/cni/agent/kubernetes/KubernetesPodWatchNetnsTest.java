package io.ambientjava.cni.agent.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.cni.agent.NodeAgent;
import io.ambientjava.cni.redirect.NftablesRedirector;
import io.ambientjava.cni.redirect.RedirectionConfig;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.zds.ZdsServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pods of the mock API server mapped to real network namespaces the test made: the agent finds each netns on the
 * host (by IP, by cgroup uid) and installs its nftables rules there.
 */
@RequiresRoot
@RequiresCommand({"nft", "ip", "nsenter"})
class KubernetesPodWatchNetnsTest {
    private static final String NODE = "node-1";

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.singleNode();

    @TempDir
    Path dir;

    private static io.fabric8.kubernetes.api.model.Pod apiPod(String name, String ip) {
        return new PodBuilder()
                .withNewMetadata()
                .withNamespace("mesh")
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withNodeName(NODE)
                .withServiceAccountName("sa-" + name)
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .withPodIP(ip)
                .endStatus()
                .build();
    }

    private static String rules(Pod pod) {
        return pod.exec("nft", "list", "ruleset").orThrow().stdout();
    }

    @Test
    void aPodThatPredatesTheAgentGetsItsRulesInItsRealNetns() throws Exception {
        Pod meshPod = net.addPod("a");
        Pod otherPod = net.addPod("b");
        try (MockApiServer api = new MockApiServer();
                ZdsServer zds = ZdsServer.start(dir.resolve("ztunnel.sock"), ZdsServer.Settings.DEFAULTS)) {
            api.admin()
                    .namespaces()
                    .resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName("mesh")
                            .withLabels(Map.of("istio.io/dataplane-mode", "ambient"))
                            .endMetadata()
                            .build())
                    .create();
            api.admin()
                    .pods()
                    .inNamespace("mesh")
                    .resource(apiPod("a", meshPod.ip().getHostAddress()))
                    .create();
            NodeAgent agent = new NodeAgent(zds, new NftablesRedirector(new RedirectionConfig(true)));

            try (KubernetesPodWatch watch = KubernetesPodWatch.start(
                    agent,
                    api.newClient(),
                    HostNetnsLocator.ofHost(),
                    new KubernetesPodWatch.Settings(NODE, Duration.ofSeconds(5), Duration.ofSeconds(1)))) {
                await().atMost(Duration.ofSeconds(20)).until(() -> agent.pods().size() == 1);
                assertThat(agent.pods().values())
                        .singleElement()
                        .satisfies(p -> assertThat(Files.isSameFile(p.netns(), meshPod.netnsPath()))
                                .isTrue());
                String installed = rules(meshPod);
                assertThat(installed)
                        .contains("table inet ambient-java")
                        .contains("redirect to :15001")
                        .contains("redirect to :15006")
                        .contains("udp dport 53 redirect to :15053");
                assertThat(rules(otherPod)).doesNotContain("ambient-java");

                // unlabelling the namespace takes the rules out of the real netns again
                api.admin().namespaces().withName("mesh").edit(ns -> {
                    ns.getMetadata().setLabels(Map.of());
                    return ns;
                });
                await().atMost(Duration.ofSeconds(20)).until(() -> agent.pods().isEmpty());
                assertThat(rules(meshPod)).doesNotContain("ambient-java");
            }
        }
    }

    @Test
    void theLocatorFindsANetnsByIpAndByTheCgroupOfAProcessInIt() throws Exception {
        Pod pod = net.addPod("c");
        HostNetnsLocator host = HostNetnsLocator.ofHost();
        ScheduledPod byIp = new ScheduledPod(
                "no-such-uid", "mesh", "c", "", Map.of(), List.of(pod.ip().getHostAddress()), false, false);
        Optional<Path> found = host.find(byIp);
        assertThat(found).isPresent();
        assertThat(Files.isSameFile(found.get(), pod.netnsPath())).isTrue();

        ScheduledPod unknown =
                new ScheduledPod("no-such-uid", "mesh", "x", "", Map.of(), List.of("198.19.255.254"), false, false);
        assertThat(host.find(unknown)).isEmpty();

        // a fake /proc: one "pause" process whose cgroup names the pod (systemd driver: underscores)
        String uid = "3f1c2a9e-0000-4000-8000-0000000000c1";
        Path proc = Files.createDirectories(dir.resolve("proc"));
        Path pause = Files.createDirectories(proc.resolve("4242/ns"));
        Files.createSymbolicLink(pause.resolve("net"), pod.netnsPath());
        Files.writeString(
                proc.resolve("4242/cgroup"),
                "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uid.replace('-', '_')
                        + ".slice/cri-containerd-0123.scope\n");
        HostNetnsLocator fake = new HostNetnsLocator(proc, dir.resolve("no-named-netns"));
        ScheduledPod byUid = new ScheduledPod(uid, "mesh", "c", "", Map.of(), List.of(), false, false);
        assertThat(fake.find(byUid)).contains(proc.resolve("4242/ns/net"));
    }
}
