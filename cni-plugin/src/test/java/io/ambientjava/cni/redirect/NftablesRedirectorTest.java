package io.ambientjava.cni.redirect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** In-pod redirection installed in real pod namespaces, checked with real connections. */
@RequiresRoot
@RequiresCommand({"nft", "ip", "nsenter"})
class NftablesRedirectorTest {
    @RegisterExtension
    final NetnsTopology net = NetnsTopology.singleNode();

    private final NftablesRedirector redirector = new NftablesRedirector(RedirectionConfig.DEFAULTS);

    private ServerSocket listen(Pod pod, int port) throws Exception {
        ServerSocket server = pod.call(() -> {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("0.0.0.0", port));
            return socket;
        });
        server.setSoTimeout(5_000);
        return net.onTeardown(server);
    }

    @Test
    void outboundConnectLandsOnThePodsOwn15001() throws Exception {
        Pod a = net.addPod("a");
        Pod b = net.addPod("b");
        redirector.apply(a.netnsPath());
        ServerSocket outbound = listen(a, 15001);

        try (Socket client = a.connect(b.address(8080));
                Socket accepted = outbound.accept()) {
            assertThat(accepted.getLocalPort()).isEqualTo(15001);
            assertThat(accepted.getInetAddress()).isEqualTo(a.ip());
            assertThat(client.getPort()).isEqualTo(8080);
        }
    }

    @Test
    void inboundConnectLandsOn15006AndHboneStaysOn15008() throws Exception {
        Pod a = net.addPod("a");
        Pod b = net.addPod("b");
        redirector.apply(b.netnsPath());
        ServerSocket inbound = listen(b, 15006);
        ServerSocket hbone = listen(b, 15008);

        try (Socket client = a.connect(b.address(8080));
                Socket accepted = inbound.accept()) {
            assertThat(accepted.getLocalAddress()).isEqualTo(b.ip());
            assertThat(accepted.getLocalPort()).isEqualTo(15006);
            assertThat(accepted.getInetAddress()).isEqualTo(a.ip());
        }
        try (Socket client = a.connect(b.address(15008));
                Socket accepted = hbone.accept()) {
            assertThat(accepted.getLocalPort()).isEqualTo(15008);
        }
    }

    @Test
    void ztunnelsMarkedSocketBypassesRedirection() throws Throwable {
        Pod a = net.addPod("a");
        Pod b = net.addPod("b");
        redirector.apply(a.netnsPath());
        ServerSocket app = listen(b, 7000);
        InetSocketAddress target = b.address(7000);

        assertThat(a.call(() -> {
                    try {
                        return MarkedConnect.connects(target, 0x539);
                    } catch (Throwable e) {
                        throw new Exception(e);
                    }
                }))
                .as("marked connect reaches b")
                .isTrue();
        app.accept().close();
        assertThat(a.call(() -> {
                    try {
                        return MarkedConnect.connects(target, 0);
                    } catch (Throwable e) {
                        throw new Exception(e);
                    }
                }))
                .as("unmarked connect is redirected to a's 15001, where nothing listens")
                .isFalse();
    }

    @Test
    void repliesToZtunnelsTransparentInboundSocketComeBackToIt() throws Exception {
        Pod a = net.addPod("a");
        Pod b = net.addPod("b");
        ServerSocket app = listen(b, 8080);
        InetSocketAddress appAddress = b.address(8080);

        assertThat(transparentConnect(b, appAddress, a.address(40123)))
                .as("without the policy routing the app's SYN-ACK leaves for pod a")
                .isFalse();
        redirector.apply(b.netnsPath());
        assertThat(transparentConnect(b, appAddress, a.address(40124)))
                .as("connmark 0x111 and table 100 deliver the reply to ztunnel's socket")
                .isTrue();
        try (Socket accepted = app.accept()) {
            assertThat(accepted.getInetAddress())
                    .as("the app sees the client's address")
                    .isEqualTo(a.ip());
        }
    }

    /** ztunnel's inbound hop: from inside {@code pod}, a transparent, 0x539-marked connect posing as the client. */
    private static boolean transparentConnect(Pod pod, InetSocketAddress target, InetSocketAddress client)
            throws Exception {
        return pod.call(() -> {
            try {
                return MarkedConnect.connects(target, 0x539, client);
            } catch (Throwable e) {
                throw new Exception(e);
            }
        });
    }

    @Test
    void dnsCaptureSendsPort53To15053() throws Exception {
        Pod a = net.addPod("a");
        Pod b = net.addPod("b");
        new NftablesRedirector(new RedirectionConfig(true)).apply(a.netnsPath());
        DatagramSocket dns = net.onTeardown(a.call(() -> new DatagramSocket(new InetSocketAddress("0.0.0.0", 15053))));
        dns.setSoTimeout(5_000);

        byte[] query = "query".getBytes(StandardCharsets.US_ASCII);
        a.call(() -> {
            try (DatagramSocket client = new DatagramSocket()) {
                client.send(new DatagramPacket(query, query.length, b.address(53)));
            }
            return null;
        });
        DatagramPacket received = new DatagramPacket(new byte[64], 64);
        dns.receive(received);
        assertThat(new String(received.getData(), 0, received.getLength(), StandardCharsets.US_ASCII))
                .isEqualTo("query");
    }

    @Test
    void reapplyingIsIdempotent() throws Exception {
        Pod a = net.addPod("a");
        Pod b = net.addPod("b");
        redirector.apply(a.netnsPath());
        String rulesOnce =
                a.exec("nft", "list", "table", "inet", "ambient-java").orThrow().stdout();

        redirector.apply(a.netnsPath());

        assertThat(a.exec("nft", "list", "table", "inet", "ambient-java")
                        .orThrow()
                        .stdout())
                .isEqualTo(rulesOnce);
        assertThat(a.exec("ip", "rule", "show").orThrow().stdout().lines().filter(l -> l.contains("0x111/0xfff")))
                .hasSize(1);
        assertThat(a.exec("ip", "route", "show", "table", "100")
                        .orThrow()
                        .stdout()
                        .lines())
                .hasSize(1);
        ServerSocket outbound = listen(a, 15001);
        try (Socket client = a.connect(b.address(8080));
                Socket accepted = outbound.accept()) {
            assertThat(accepted.getLocalPort()).isEqualTo(15001);
        }
    }

    @Test
    void removalLeavesNoTraceAndOtherTablesAlone() throws Exception {
        Pod a = net.addPod("a");
        a.installNftables("table inet someone-else {\n  chain c {\n    type filter hook input priority 0;\n  }\n}\n");
        redirector.apply(a.netnsPath());

        redirector.remove(a.netnsPath());
        redirector.remove(a.netnsPath());

        String tables = a.exec("nft", "list", "tables").orThrow().stdout();
        assertThat(tables).contains("inet someone-else").doesNotContain("ambient-java");
        assertThat(a.exec("ip", "rule", "show").orThrow().stdout()).doesNotContain("0x111");
        assertThat(a.exec("ip", "route", "show", "table", "100").stdout()).isBlank();
    }

    @Test
    void aMalformedRuleSetIsRejectedWithNftsExplanation() {
        Pod a = net.addPod("a");

        assertThatThrownBy(() -> NftablesRedirector.applyScript(
                        a.netnsPath(),
                        "table inet ambient-java {\n  chain c {\n    type nat hook output priority"
                                + " nonsense;\n  }\n}\n"))
                .isInstanceOf(RedirectionException.class)
                .hasMessageContaining("nft rejected the redirection rules in " + a.netnsPath())
                .hasMessageContaining("Error");
        assertThat(a.exec("nft", "list", "tables").orThrow().stdout()).doesNotContain("ambient-java");
    }

    @Test
    void aMissingNetnsIsNamed() {
        Path missing = Path.of("/var/run/netns/aj-no-such-pod-netns");

        assertThatThrownBy(() -> redirector.apply(missing))
                .isInstanceOf(RedirectionException.class)
                .hasMessage("network namespace " + missing + " does not exist");
    }

    @Test
    void rulesetKeepsToItsOwnTableAndLetsProbesThrough() {
        String rules = InPodRuleset.render(RedirectionConfig.DEFAULTS);

        assertThat(rules.lines().filter(l -> l.startsWith("table "))).containsExactly("table inet ambient-java {");
        assertThat(rules).contains("ip saddr 169.254.7.127 accept").doesNotContain("15053");
        assertThat(InPodRuleset.render(new RedirectionConfig(true))).contains("redirect to :15053");
    }
}
