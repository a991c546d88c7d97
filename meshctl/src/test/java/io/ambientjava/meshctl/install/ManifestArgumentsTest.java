package io.ambientjava.meshctl.install;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.cni.agent.NodeAgentMain;
import io.ambientjava.istiod.IstiodLite;
import io.ambientjava.ztunnel.app.ZtunnelMain;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The arguments the manifests give each program are ones that program accepts: each is parsed by the program's
 * own picocli command (parsing only, nothing runs), so a renamed option breaks this test, not a cluster.
 */
class ManifestArgumentsTest {

    private static final List<HasMetadata> BASE = InstallManifestsTest.rendered("base");

    private static void accepted(Object command, List<String> args) {
        CommandLine commandLine = new CommandLine(command);
        commandLine.parseArgs(args.toArray(String[]::new));
    }

    @Test
    void istiodLiteAcceptsItsArguments() {
        Container discovery = InstallManifestsTest.only(BASE, Deployment.class, "istiod")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .getFirst();
        accepted(new IstiodLite(), discovery.getArgs());
    }

    @Test
    void ztunnelAcceptsItsArguments() {
        Container proxy = InstallManifestsTest.only(BASE, DaemonSet.class, "ztunnel")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .getFirst();
        accepted(new ZtunnelMain(), proxy.getArgs());
        // The check has teeth: an option the program does not have is refused.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> accepted(new ZtunnelMain(), List.of("--install-cni")))
                .isInstanceOf(CommandLine.UnmatchedArgumentException.class);
    }

    @Test
    void nodeAgentAcceptsItsArgumentsAndInstallCommands() {
        var pod = InstallManifestsTest.only(BASE, DaemonSet.class, "node-agent")
                .getSpec()
                .getTemplate()
                .getSpec();
        accepted(new NodeAgentMain(), pod.getContainers().getFirst().getArgs());
        // /app/bin/node-agent <subcommand> ...: drop the launcher, keep the subcommand and its options.
        List<String> install = pod.getInitContainers().getFirst().getCommand();
        assertThat(install.getFirst()).isEqualTo("/app/bin/node-agent");
        accepted(new NodeAgentMain(), install.subList(1, install.size()));
        List<String> uninstall = pod.getContainers()
                .getFirst()
                .getLifecycle()
                .getPreStop()
                .getExec()
                .getCommand();
        accepted(new NodeAgentMain(), uninstall.subList(1, uninstall.size()));
    }
}
