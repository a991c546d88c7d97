package io.ambientjava.testing.netns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@RequiresRoot
@RequiresCommand({"ip", "nft"})
class NetnsTopologyTest {
    private static final List<String> PREFIXES_USED = new CopyOnWriteArrayList<>();

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.withNodes(2);

    @AfterAll
    static void theExtensionRemovedEveryTestsNamespaces() {
        List<String> left = NetnsTopology.listNetns().stream()
                .filter(name -> PREFIXES_USED.stream().anyMatch(name::startsWith))
                .toList();
        assertThat(PREFIXES_USED).isNotEmpty();
        assertThat(left).as("namespaces left behind by the extension").isEmpty();
    }

    @Test
    void podsOnOneNodeReachEachOtherWithTheirOwnAddresses() throws Exception {
        PREFIXES_USED.add(net.runPrefix());
        Pod a = net.node(1).addPod("a");
        Pod b = net.node(1).addPod("b");
        EchoServer server = a.startEchoServer(0);

        assertThat(a.ip().getHostAddress()).isEqualTo("198.18.1.2");
        assertThat(b.ip().getHostAddress()).isEqualTo("198.18.1.3");
        assertThat(roundTrip(b, a.address(server.port()), "hello")).isEqualTo("hello");
        assertThat(server.clients()).extracting(InetSocketAddress::getAddress).containsExactly(b.ip());
    }

    @Test
    void podsOnDifferentNodesAreRoutedThroughTheFabric() throws Exception {
        PREFIXES_USED.add(net.runPrefix());
        Pod a = net.node(1).addPod("a");
        Pod c = net.node(2).addPod("c");
        EchoServer server = c.startEchoServer(0);

        assertThat(c.ip().getHostAddress()).isEqualTo("198.18.2.2");
        assertThat(roundTrip(a, c.address(server.port()), "across")).isEqualTo("across");
        assertThat(server.clients()).extracting(InetSocketAddress::getAddress).containsExactly(a.ip());
        assertThat(net.node(1).exec("ip", "route").orThrow().stdout())
                .contains("198.18.2.0/24 via 198.18.255.2 dev uplink");
    }

    @Test
    void commandsRunInsideThePod() {
        Pod a = net.addPod("a");
        PREFIXES_USED.add(net.runPrefix());

        String addresses = a.exec("ip", "-4", "-o", "addr", "show").orThrow().stdout();

        assertThat(addresses).contains("eth0").contains("198.18.1.2/24").contains("lo");
        assertThat(a.exec("ip", "link", "show", "does-not-exist").succeeded()).isFalse();
        assertThatThrownBy(() -> a.exec("ip", "link", "show", "does-not-exist").orThrow())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("does-not-exist");
    }

    @Test
    void nftablesRulesAreInstalledInThePodOnly() {
        Pod a = net.addPod("a");
        PREFIXES_USED.add(net.runPrefix());

        a.installNftables("""
                table ip probe {
                  chain output {
                    type nat hook output priority -100;
                    meta l4proto tcp ip daddr != 127.0.0.1 meta mark & 0xfff != 0x539 redirect to :15001
                  }
                }
                """);

        assertThat(a.exec("nft", "list", "tables").orThrow().stdout()).contains("table ip probe");
        assertThat(net.node(1).exec("nft", "list", "tables").orThrow().stdout()).doesNotContain("probe");
    }

    @Test
    void rejectedNftablesRulesExplainWhy() {
        Pod a = net.addPod("a");
        PREFIXES_USED.add(net.runPrefix());

        assertThatThrownBy(() -> a.installNftables("table ip broken { chain c { nonsense } }"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nft rejected the rules for pod a")
                .hasMessageContaining("Error");
    }

    @Test
    void badTopologyRequestsNameTheProblem() {
        net.addPod("a");
        PREFIXES_USED.add(net.runPrefix());

        assertThatThrownBy(() -> net.addPod("a")).hasMessageContaining("pod 'a' already exists");
        assertThatThrownBy(() -> net.addPod("Bad_Name")).hasMessageContaining("pod name 'Bad_Name' must match");
        assertThatThrownBy(() -> net.addPod("a-name-longer-than-15")).hasMessageContaining("must match");
        assertThatThrownBy(() -> net.node(3)).hasMessageContaining("no node 3; this topology has nodes 1..2");
        assertThatThrownBy(() -> net.pod("zz")).hasMessageContaining("no pod named 'zz'");
        assertThatThrownBy(() -> NetnsTopology.withNodes(0)).hasMessageContaining("node count must be 1..254");
    }

    @Test
    void teardownLeavesNoNamespaceLinkOrProcessBehind() throws Exception {
        List<String> hostLinksBefore = hostLinkNames();
        StartedProcess sleeper;
        String prefix;
        Pod a;
        try (NetnsTopology topology = NetnsTopology.withNodes(2)) {
            prefix = topology.runPrefix();
            a = topology.node(1).addPod("a");
            topology.node(2).addPod("c");
            topology.node(1).addPod("b").startEchoServer(0);
            sleeper = a.start("sleep", "60");
            assertThat(NetnsTopology.listNetns().stream().filter(n -> n.startsWith(prefix)))
                    .hasSize(6); // fabric, 2 nodes, 3 pods
            assertThat(topology.node(1).exec("ip", "-o", "link").orThrow().stdout())
                    .contains("br0")
                    .contains("uplink")
                    .contains("p2@");
        }

        assertThat(NetnsTopology.listNetns()).noneMatch(name -> name.startsWith(prefix));
        assertThat(sleeper.process().isAlive()).isFalse();
        assertThat(hostLinkNames()).isEqualTo(hostLinksBefore);
        assertThatThrownBy(() -> a.call(() -> "unreachable"))
                .hasMessageContaining("cannot open " + a.netnsPath())
                .hasMessageContaining("No such file or directory");
    }

    @Test
    void aClosedTopologyCanBeUsedAgainUnderNewNames() {
        String first = net.runPrefix();
        net.addPod("a");
        net.close();
        String second = net.runPrefix();
        PREFIXES_USED.add(first);
        PREFIXES_USED.add(second);

        assertThat(second).isNotEqualTo(first);
        assertThat(net.addPod("a").ip().getHostAddress()).isEqualTo("198.18.1.2");
    }

    private static List<String> hostLinkNames() {
        return CommandRunner.run(List.of(NamespacedHost.IP, "-o", "link", "show"))
                .orThrow()
                .stdout()
                .lines()
                .map(line -> line.split(":\\s+")[1])
                .sorted()
                .toList();
    }

    private static String roundTrip(Pod from, InetSocketAddress to, String text) throws Exception {
        try (Socket socket = from.connect(to)) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] echoed = new byte[text.length()];
            new DataInputStream(in).readFully(echoed);
            return new String(echoed, StandardCharsets.UTF_8);
        }
    }
}
