package io.ambientjava.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.api.zds.WorkloadInfo;
import io.ambientjava.cni.agent.NodeAgentServer;
import io.ambientjava.cni.redirect.NftablesRedirector;
import io.ambientjava.cni.redirect.RedirectionConfig;
import io.ambientjava.cni.runtime.ZtunnelJar;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * DNS capture across both processes: the node agent started with DNS capture installs its real rules in a pod
 * netns, ztunnel-java's jar runs with {@code --dns-capture} and answers the pod's queries for a mesh service with
 * the service's VIP, and forwards other names (past the pod's own rules, by its 0x539 mark) to a resolver outside
 * the mesh.
 */
@RequiresRoot
@RequiresCommand({"nft", "ip", "nsenter"})
@Timeout(120)
class DnsCaptureThroughZtunnelIT {
    private static final String UID = "Kubernetes//Pod/bookinfo/client";
    private static final String VIP = "198.19.0.10";
    private static final InetAddress OUTSIDE = InetAddress.ofLiteral("198.18.200.1");

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.singleNode();

    @TempDir
    Path dir;

    @Test
    void aPodsQueriesReachZtunnelsDnsProxyThroughTheAgentsRules() throws Exception {
        Path jar = ZtunnelJar.assumeJar();
        Pod client = net.addPod("client");
        Pod dns = net.addPod("dns");
        InetSocketAddress resolver = new InetSocketAddress(dns.ip(), 53);
        DatagramSocket upstreamSocket = dns.call(() -> new DatagramSocket(resolver));
        Thread upstream = Thread.ofPlatform().daemon().start(() -> serveOutsideNames(upstreamSocket));
        net.onTeardown(() -> {
            upstreamSocket.close();
            upstream.join(2_000);
        });

        Path localConfig = Files.writeString(
                dir.resolve("local.yaml"), """
                workloads:
                - uid: %s
                  name: client
                  namespace: bookinfo
                  serviceAccount: client
                  workloadIps: ["%s"]
                  protocol: HBONE
                  node: node1
                services:
                - name: reviews
                  namespace: bookinfo
                  hostname: reviews.bookinfo.svc.cluster.local
                  vips: ["/%s"]
                  ports:
                    9080: 9080
                """.formatted(UID, client.ip().getHostAddress(), VIP));
        Files.createDirectories(dir.resolve("ca"));
        try (NodeAgentServer agent = NodeAgentServer.start(
                        new NodeAgentServer.Settings(
                                dir.resolve("ztunnel.sock"),
                                dir.resolve("agent.sock"),
                                Optional.empty(),
                                Duration.ofSeconds(1),
                                Optional.empty(),
                                Duration.ofSeconds(10)),
                        new NftablesRedirector(new RedirectionConfig(true)));
                ZtunnelJar ztunnel = ZtunnelJar.start(
                        jar,
                        dir.resolve("ztunnel.sock"),
                        localConfig,
                        dir.resolve("ca"),
                        dir.resolve("ztunnel.log"),
                        List.of("--dns-capture", "--dns-upstream=" + dns.ip().getHostAddress() + ":53"))) {
            agent.agent()
                    .enroll(
                            UID,
                            WorkloadInfo.newBuilder()
                                    .setName("client")
                                    .setNamespace("bookinfo")
                                    .setServiceAccount("client")
                                    .build(),
                            client.netnsPath())
                    // ztunnel may not be connected yet: then the pod goes in its first snapshot
                    .exceptionally(notYet -> null)
                    .get(20, TimeUnit.SECONDS);
            assertThat(client.exec("nft", "list", "ruleset").stdout()).contains("redirect to :15053");

            await().atMost(Duration.ofSeconds(20))
                    .ignoreExceptions()
                    .untilAsserted(() -> assertThat(ask(client, resolver, "reviews.bookinfo.svc.cluster.local"))
                            .containsExactly(InetAddress.ofLiteral(VIP)));
            assertThat(ask(client, resolver, "www.example.org")).containsExactly(OUTSIDE);
        }
    }

    /** An A query from inside {@code pod} to {@code resolver}; the addresses of the answer. */
    private static List<InetAddress> ask(Pod pod, InetSocketAddress resolver, String name) throws Exception {
        return pod.call(() -> {
            try (DatagramSocket socket = new DatagramSocket()) {
                socket.setSoTimeout(3_000);
                socket.connect(resolver);
                byte[] query = query(name);
                socket.send(new DatagramPacket(query, query.length));
                DatagramPacket reply = new DatagramPacket(new byte[1500], 1500);
                socket.receive(reply);
                return addresses(Arrays.copyOf(reply.getData(), reply.getLength()));
            }
        });
    }

    /** The resolver outside the mesh: www.example.org only, copied question plus one A record. */
    private static void serveOutsideNames(DatagramSocket socket) {
        byte[] buffer = new byte[1500];
        while (!socket.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                byte[] query = Arrays.copyOf(packet.getData(), packet.getLength());
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.write(query, 0, 2);
                out.writeBytes(new byte[] {(byte) 0x81, (byte) 0x80, 0, 1, 0, 1, 0, 0, 0, 0});
                out.write(query, 12, query.length - 12);
                out.writeBytes(new byte[] {(byte) 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4});
                out.writeBytes(OUTSIDE.getAddress());
                byte[] answer = out.toByteArray();
                socket.send(new DatagramPacket(answer, answer.length, packet.getSocketAddress()));
            } catch (Exception e) {
                // closed
            }
        }
    }

    private static byte[] query(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0});
        for (String label : name.split("\\.")) {
            out.write(label.length());
            out.writeBytes(label.getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes(new byte[] {0, 0, 1, 0, 1});
        return out.toByteArray();
    }

    private static List<InetAddress> addresses(byte[] message) throws Exception {
        ByteBuffer in = ByteBuffer.wrap(message);
        in.position(4);
        int questions = Short.toUnsignedInt(in.getShort());
        int answers = Short.toUnsignedInt(in.getShort());
        in.position(12);
        for (int i = 0; i < questions; i++) {
            skipName(in);
            in.position(in.position() + 4);
        }
        List<InetAddress> found = new ArrayList<>();
        for (int i = 0; i < answers; i++) {
            skipName(in);
            int type = Short.toUnsignedInt(in.getShort());
            in.position(in.position() + 6);
            byte[] data = new byte[Short.toUnsignedInt(in.getShort())];
            in.get(data);
            if (type == 1) {
                found.add(InetAddress.getByAddress(data));
            }
        }
        return found;
    }

    private static void skipName(ByteBuffer in) {
        while (true) {
            int length = Byte.toUnsignedInt(in.get());
            if (length == 0) {
                return;
            }
            if ((length & 0xc0) == 0xc0) {
                in.get();
                return;
            }
            in.position(in.position() + length);
        }
    }
}
