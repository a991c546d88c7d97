package io.ambientjava.cni.agent;

import io.ambientjava.cni.AgentClientEnrollment;
import io.ambientjava.cni.agent.kubernetes.ApiServerConnection;
import io.ambientjava.cni.agent.kubernetes.HostNetnsLocator;
import io.ambientjava.cni.agent.kubernetes.KubernetesPodWatch;
import io.ambientjava.cni.install.InstallCommands;
import io.ambientjava.cni.redirect.EbpfRedirector;
import io.ambientjava.cni.redirect.NftablesRedirector;
import io.ambientjava.cni.redirect.PodRedirector;
import io.ambientjava.cni.redirect.RedirectionConfig;
import io.ambientjava.zds.ZdsServer;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The node agent process: the ZDS server for ztunnel and the socket the CNI plugin reports pods on. */
@Command(
        name = "node-agent",
        mixinStandardHelpOptions = true,
        subcommands = {InstallCommands.Install.class, InstallCommands.Uninstall.class},
        description = "ambient-java node agent: in-pod redirection and ZDS for ztunnel.")
public final class NodeAgentMain implements Callable<Integer> {
    @Option(names = "--zds-socket", description = "ZDS socket ztunnel connects to (default: ${DEFAULT-VALUE})")
    Path zdsSocket = ZdsServer.DEFAULT_PATH;

    @Option(names = "--plugin-socket", description = "socket the CNI plugin reports to (default: ${DEFAULT-VALUE})")
    Path pluginSocket = AgentClientEnrollment.DEFAULT_SOCKET;

    @Option(
            names = "--pod-state-dir",
            description = "folder of Pod/Namespace YAML deciding enrollment (istio.io/dataplane-mode labels); "
                    + "without it every pod the plugin reports is enrolled")
    Path podStateDir;

    @Option(
            names = "--kubeconfig",
            description = "take pods and namespaces from the API server of this kubeconfig's current context")
    Path kubeconfig;

    @Option(
            names = "--in-cluster",
            description = "take pods and namespaces from the API server, with the pod's service account")
    boolean inCluster;

    @Option(
            names = "--node-name",
            description = "the node whose pods are watched with --kubeconfig/--in-cluster (default: env NODE_NAME)")
    String nodeName = System.getenv("NODE_NAME");

    @Option(
            names = "--host-proc",
            description =
                    "the node's /proc, where pods that predate the agent are looked for (default: ${DEFAULT-VALUE})")
    Path hostProc = Path.of("/proc");

    @Option(
            names = "--pod-state-poll",
            description = "how often the pod state folder is read (default: ${DEFAULT-VALUE})")
    Duration podStatePoll = Duration.ofSeconds(1);

    @Option(
            names = "--state-file",
            description = "where known pods are saved for reconciliation after a restart (default: ${DEFAULT-VALUE})")
    Path stateFile = Path.of("/var/run/ambient-java/pods.json");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** How pod traffic reaches ztunnel. */
    enum RedirectMode {
        nftables,
        ebpf
    }

    @Option(
            names = "--redirect",
            description = "redirection mode: nftables (rules in each pod netns) or ebpf (programs pinned under"
                    + " /sys/fs/bpf/ambient, upgraded in place by a newer agent) (default: ${DEFAULT-VALUE})")
    RedirectMode redirect = RedirectMode.nftables;

    @Option(names = "--dns-capture", description = "redirect pods' DNS to ztunnel's DNS proxy on 15053")
    boolean dnsCapture;

    @Option(names = "--ack-timeout", description = "how long to wait for ztunnel's ack (default: ${DEFAULT-VALUE})")
    Duration ackTimeout = Duration.ofSeconds(5);

    /** Why the pod source options do not fit together, or null. */
    private String podSourceProblem() {
        if (kubeconfig != null && inCluster) {
            return "--kubeconfig and --in-cluster exclude each other";
        }
        boolean apiServer = kubeconfig != null || inCluster;
        if (apiServer && podStateDir != null) {
            return "--pod-state-dir and --kubeconfig/--in-cluster exclude each other (one pod state source)";
        }
        if (apiServer && (nodeName == null || nodeName.isBlank())) {
            return "--kubeconfig/--in-cluster need the node's name: --node-name or env NODE_NAME";
        }
        return null;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new NodeAgentMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (redirect == RedirectMode.ebpf && dnsCapture) {
            spec.commandLine()
                    .getErr()
                    .println("--dns-capture is not available with --redirect=ebpf (only TCP is redirected)");
            return 2;
        }
        String sourceProblem = podSourceProblem();
        if (sourceProblem != null) {
            spec.commandLine().getErr().println(sourceProblem);
            return 2;
        }
        NodeAgentServer.PodSourceStarter apiServer = null;
        if (kubeconfig != null || inCluster) {
            Config config;
            try {
                config = kubeconfig != null
                        ? ApiServerConnection.fromKubeconfig(kubeconfig)
                        : ApiServerConnection.inCluster();
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println(e.getMessage());
                return 2;
            }
            apiServer = agent -> KubernetesPodWatch.start(
                    agent,
                    new KubernetesClientBuilder().withConfig(config).build(),
                    HostNetnsLocator.ofHost(hostProc),
                    KubernetesPodWatch.Settings.forNode(nodeName));
        }
        PodRedirector redirector = switch (redirect) {
            case nftables -> new NftablesRedirector(new RedirectionConfig(dnsCapture));
            case ebpf -> EbpfRedirector.installOnNode();
        };
        NodeAgentServer server = NodeAgentServer.start(
                new NodeAgentServer.Settings(
                        zdsSocket,
                        pluginSocket,
                        Optional.ofNullable(podStateDir),
                        podStatePoll,
                        Optional.of(stateFile),
                        ackTimeout),
                redirector,
                apiServer);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            try {
                server.close();
            } catch (Exception e) {
                // Exiting anyway.
            }
            if (redirector instanceof EbpfRedirector ebpf) {
                ebpf.close(); // the pinned programs keep redirecting enrolled pods until the agent is back
            }
            stop.countDown();
        }));
        System.out.println("node agent ready (" + redirect + "): zds " + zdsSocket + ", plugin events " + pluginSocket
                + ", restored "
                + server.restored().kept().size() + " pods, cleaned up "
                + server.restored().removed().size());
        stop.await();
        return 0;
    }
}
