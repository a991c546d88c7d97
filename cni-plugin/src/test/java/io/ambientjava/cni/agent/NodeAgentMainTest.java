package io.ambientjava.cni.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class NodeAgentMainTest {

    @Test
    void redirectModeDefaultsToNftablesAndAcceptsEbpf() {
        NodeAgentMain defaults = new NodeAgentMain();
        new CommandLine(defaults).parseArgs();
        assertThat(defaults.redirect).isEqualTo(NodeAgentMain.RedirectMode.nftables);

        NodeAgentMain ebpf = new NodeAgentMain();
        new CommandLine(ebpf).parseArgs("--redirect=ebpf");
        assertThat(ebpf.redirect).isEqualTo(NodeAgentMain.RedirectMode.ebpf);
    }

    @Test
    void anUnknownRedirectModeIsRefusedNamingTheValidOnes() {
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new NodeAgentMain())
                .setErr(new PrintWriter(err))
                .execute("--redirect=iptables");
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("--redirect").contains("iptables").contains("nftables, ebpf");
    }

    @Test
    void dnsCaptureIsRefusedInEbpfModeBeforeAnythingStarts() {
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new NodeAgentMain())
                .setErr(new PrintWriter(err))
                .execute("--redirect=ebpf", "--dns-capture");
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).as(err.toString()).contains("--dns-capture is not available with --redirect=ebpf");
    }

    private static String refused(String... args) {
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new NodeAgentMain())
                .setErr(new PrintWriter(err))
                .execute(args);
        assertThat(exit).as(err.toString()).isEqualTo(2);
        return err.toString();
    }

    @Test
    void apiServerOptionsAreCheckedBeforeAnythingStarts() {
        assertThat(refused("--kubeconfig=/nonexistent/kubeconfig", "--in-cluster", "--node-name=n1"))
                .contains("--kubeconfig and --in-cluster exclude each other");
        assertThat(refused("--kubeconfig=/nonexistent/kubeconfig", "--pod-state-dir=/tmp", "--node-name=n1"))
                .contains("one pod state source");
        assertThat(refused("--kubeconfig=/nonexistent/kubeconfig", "--node-name=n1"))
                .contains("kubeconfig /nonexistent/kubeconfig is not a readable file");
    }

    @Test
    void theNodeNameComesFromTheOptionOrNodeNameVariable() {
        NodeAgentMain main = new NodeAgentMain();
        new CommandLine(main).parseArgs("--node-name=worker-7", "--in-cluster");
        assertThat(main.nodeName).isEqualTo("worker-7");
        assertThat(main.inCluster).isTrue();
        if (System.getenv("NODE_NAME") == null) {
            assertThat(refused("--in-cluster")).contains("--node-name or env NODE_NAME");
        }
    }
}
