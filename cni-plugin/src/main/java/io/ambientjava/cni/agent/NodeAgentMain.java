package io.ambientjava.cni.agent;

import io.ambientjava.cni.AgentClientEnrollment;
import io.ambientjava.cni.install.InstallCommands;
import io.ambientjava.cni.redirect.NftablesRedirector;
import io.ambientjava.cni.redirect.RedirectionConfig;
import io.ambientjava.zds.ZdsServer;
import java.nio.file.Path;
import java.time.Duration;
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

    @Option(names = "--dns-capture", description = "redirect pods' DNS to ztunnel's DNS proxy on 15053")
    boolean dnsCapture;

    @Option(names = "--ack-timeout", description = "how long to wait for ztunnel's ack (default: ${DEFAULT-VALUE})")
    Duration ackTimeout = Duration.ofSeconds(5);

    public static void main(String[] args) {
        System.exit(new CommandLine(new NodeAgentMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ZdsServer zds = ZdsServer.start(zdsSocket, new ZdsServer.Settings(Duration.ofSeconds(5), ackTimeout));
        NodeAgent agent = new NodeAgent(zds, new NftablesRedirector(new RedirectionConfig(dnsCapture)));
        PluginEventServer events =
                PluginEventServer.start(pluginSocket, new NodeAgentEnrollment(agent, ackTimeout.plusSeconds(1)));
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            try {
                events.close();
            } catch (Exception e) {
                // Exiting anyway.
            }
            zds.close();
            stop.countDown();
        }));
        System.out.println("node agent ready: zds " + zdsSocket + ", plugin events " + pluginSocket);
        stop.await();
        return 0;
    }
}
