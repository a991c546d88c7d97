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
}
