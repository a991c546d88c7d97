package io.ambientjava.ztunnel.dns;

import static io.ambientjava.ztunnel.dns.DnsTestMessages.A;
import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.identity.manager.LocalCaCertificateProvider;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.ztunnel.inpod.netns.NetworkNamespace;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntime;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntimeConfig;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.telemetry.ConnectionObserver;
import io.ambientjava.ztunnel.testsupport.TestMesh;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * DNS capture for real: a pod netns with the node agent's DNS rules (UDP and TCP 53 not on lo and not marked 0x539
 * to 15053), ztunnel's DNS proxy in it, and a fake resolver outside the mesh in another pod. Mesh names come back
 * with their VIP from ztunnel; other names are forwarded from inside the pod and answered by the fake resolver;
 * the pod's own glibc stub resolver ({@code getent}, with a resolv.conf naming the fake resolver and Kubernetes'
 * search path) sees the same.
 */
@RequiresRoot
@RequiresCommand({"nft", "ip", "getent"})
class PodDnsCaptureTest {
    /** What the node agent installs with --dns-capture (InPodRuleset), alone here. */
    static final String DNS_RULES = """
            table inet dns-capture-test {
              chain nat-output {
                type nat hook output priority -100; policy accept;
                oifname != "lo" meta mark & 0xfff != 0x539 udp dport 53 redirect to :15053
                oifname != "lo" meta mark & 0xfff != 0x539 tcp dport 53 redirect to :15053
              }
            }
            """;

    private static final InetAddress VIP = InetAddress.ofLiteral("198.19.0.10");
    private static final InetAddress OUTSIDE = InetAddress.ofLiteral("198.18.200.1");

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.singleNode();

    private Pod client;
    private FakeUpstreamDns upstream;
    private InetSocketAddress resolver;

    @BeforeEach
    void mesh() throws Exception {
        Pod dnsPod = net.addPod("dns");
        resolver = new InetSocketAddress(dnsPod.ip(), 53);
        DatagramSocket socket = dnsPod.call(() -> new DatagramSocket(resolver));
        java.net.ServerSocket tcp = dnsPod.call(() -> new java.net.ServerSocket(53, 16, resolver.getAddress()));
        upstream = net.onTeardown(new FakeUpstreamDns(socket, tcp, Map.of("www.example.org.", OUTSIDE)));

        client = net.addPod("client");
        client.installNftables(DNS_RULES);
        TestMesh mesh = new TestMesh(net);
        mesh.add(Service.builder("bookinfo", "reviews.bookinfo.svc.cluster.local")
                .name("reviews")
                .vips("/" + VIP.getHostAddress())
                .build());
        mesh.store().upsert(TestMesh.workload(client, "bookinfo", "default").build());
        ZtunnelRuntime ztunnel = net.onTeardown(ZtunnelRuntime.start(
                ZtunnelRuntimeConfig.of(
                                "node0",
                                TestMesh.TRUST_DOMAIN,
                                mesh.store(),
                                new LocalCaCertificateProvider(TestMesh.ca()),
                                ConnectionObserver.NONE)
                        .withDrainTimeout(Duration.ofMillis(200)),
                DnsSettings.enabled(List.of(resolver)).withUpstreamTimeout(Duration.ofSeconds(1))));
        ztunnel.addPod(TestMesh.uid("bookinfo", client.name()), NetworkNamespace.open(client.netnsPath()))
                .get(10, TimeUnit.SECONDS);
    }

    private DnsTestMessages.Answer overUdp(String name) throws Exception {
        return client.call(() -> {
            try (DatagramSocket socket = new DatagramSocket()) {
                socket.setSoTimeout(5_000);
                socket.connect(resolver); // a connected socket takes only answers from the resolver's address
                byte[] query = DnsTestMessages.query(0x2a2a, name, A);
                socket.send(new DatagramPacket(query, query.length));
                DatagramPacket reply = new DatagramPacket(new byte[1500], 1500);
                socket.receive(reply);
                return DnsTestMessages.read(Arrays.copyOf(reply.getData(), reply.getLength()));
            }
        });
    }

    private DnsTestMessages.Answer overTcp(String name) throws Exception {
        return client.call(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(resolver, 5_000);
                socket.setSoTimeout(5_000);
                byte[] query = DnsTestMessages.query(0x3b3b, name, A);
                DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                out.writeShort(query.length);
                out.write(query);
                out.flush();
                DataInputStream in = new DataInputStream(socket.getInputStream());
                byte[] answer = new byte[in.readUnsignedShort()];
                in.readFully(answer);
                return DnsTestMessages.read(answer);
            }
        });
    }

    @Test
    void meshNamesGetTheirVipFromZtunnelOverUdpAndTcp() throws Exception {
        DnsTestMessages.Answer udp = overUdp("reviews.bookinfo.svc.cluster.local");
        assertThat(udp.addresses()).containsExactly(VIP);
        assertThat(udp.id()).isEqualTo(0x2a2a);
        assertThat(overTcp("reviews.bookinfo.svc.cluster.local").addresses()).containsExactly(VIP);
        assertThat(upstream.seen()).as("mesh names never reach the upstream").isEmpty();
    }

    @Test
    void otherNamesAreForwardedFromInsideThePodAndAnsweredByTheUpstream() throws Exception {
        assertThat(overUdp("www.example.org").addresses()).containsExactly(OUTSIDE);
        assertThat(overTcp("www.example.org").addresses()).containsExactly(OUTSIDE);
        DnsTestMessages.Answer missing = overUdp("nothing.example.org");
        assertThat(missing.rcode()).isEqualTo(3);
        assertThat(upstream.seen())
                .extracting(FakeUpstreamDns.Seen::name)
                .containsExactly("www.example.org.", "www.example.org.", "nothing.example.org.");
        assertThat(upstream.seen())
                .as("a query that came over TCP goes on over TCP")
                .extracting(FakeUpstreamDns.Seen::tcp)
                .containsExactly(false, true, false);
        assertThat(upstream.seen())
                .as("forwarded from the pod's own address, past the pod's DNS redirect")
                .allSatisfy(seen -> assertThat(seen.from().getAddress()).isEqualTo(client.ip()));
    }

    @Test
    void thePodsOwnStubResolverResolvesShortMeshNamesAndForwardsTheRest() throws Exception {
        Path dir = Path.of("/etc/netns", client.netnsName());
        Files.createDirectories(dir);
        try {
            // what kubelet writes for a pod in namespace bookinfo; ip netns exec bind-mounts it over /etc/resolv.conf
            Files.writeString(dir.resolve("resolv.conf"), """
                    nameserver %s
                    search bookinfo.svc.cluster.local svc.cluster.local cluster.local
                    options ndots:5 timeout:2 attempts:2
                    """.formatted(
                            resolver.getAddress().getHostAddress()));
            assertThat(client.exec("getent", "ahostsv4", "reviews").orThrow().stdout())
                    .contains(VIP.getHostAddress());
            assertThat(client.exec("getent", "ahostsv4", "reviews.bookinfo")
                            .orThrow()
                            .stdout())
                    .contains(VIP.getHostAddress());
            assertThat(client.exec("getent", "ahostsv4", "www.example.org")
                            .orThrow()
                            .stdout())
                    .contains(OUTSIDE.getHostAddress());
            assertThat(client.exec("getent", "ahostsv4", "nothing.example.org").exitCode())
                    .as("not found")
                    .isEqualTo(2);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void garbageDoesNotStopTheProxy() throws Exception {
        client.call(() -> {
            try (DatagramSocket socket = new DatagramSocket()) {
                byte[][] junk = {new byte[0], {1, 2, 3}, new byte[12], "not dns at all, really".getBytes()};
                for (byte[] message : junk) {
                    socket.send(new DatagramPacket(message, message.length, resolver));
                }
            }
            return null;
        });
        assertThat(overUdp("reviews.bookinfo.svc.cluster.local").addresses()).containsExactly(VIP);
        assertThat(overTcp("reviews.bookinfo.svc.cluster.local").addresses()).containsExactly(VIP);
    }
}
