package io.ambientjava.ztunnel.runtime;

import static io.ambientjava.ztunnel.runtime.MeshTrafficTest.bytes;
import static io.ambientjava.ztunnel.testsupport.TestMesh.exchange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.server.ConnectDecision;
import io.ambientjava.hbone.server.HboneServer;
import io.ambientjava.hbone.server.HboneServerConfig;
import io.ambientjava.hbone.server.InboundConnect;
import io.ambientjava.hbone.server.ServerSecurity;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.tls.MeshTls;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.EchoServer;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.ztunnel.inpod.netns.NetnsExecutor;
import io.ambientjava.ztunnel.inpod.netns.NettyInNetns;
import io.ambientjava.ztunnel.inpod.netns.NetworkNamespace;
import io.ambientjava.ztunnel.state.GatewayAddress;
import io.ambientjava.ztunnel.state.NetworkAddress;
import io.ambientjava.ztunnel.state.PortMap;
import io.ambientjava.ztunnel.state.Protocol;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import io.ambientjava.ztunnel.telemetry.Reporter;
import io.ambientjava.ztunnel.testsupport.TestMesh;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A service with a waypoint is reached through the waypoint: HBONE to the waypoint's address with the service VIP as
 * the CONNECT authority and the waypoint's identity expected. The waypoint here is a plain HBONE server that
 * records what it was asked and answers from an echo server of its own.
 */
@RequiresRoot
@RequiresCommand({"ip", "nft"})
class WaypointRoutingTest {

    private static final SpiffeId CLIENT = new SpiffeId(TestMesh.TRUST_DOMAIN, "default", "client");
    private static final SpiffeId WAYPOINT = new SpiffeId(TestMesh.TRUST_DOMAIN, "default", "waypoint");

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.withNodes(2);

    private record Connect(String authority, Optional<SpiffeId> peer, Optional<String> forwarded) {}

    @Test
    void aServiceWithAWaypointIsReachedThroughIt() throws Exception {
        TestMesh mesh = new TestMesh(net);
        Pod client = mesh.meshPod(1, "client", "default", "client");
        Pod waypoint = net.node(2).addPod("waypoint");
        EchoServer waypointApp = waypoint.startEchoServer(8080);
        List<Connect> seen = new CopyOnWriteArrayList<>();
        startFakeWaypoint(waypoint, waypointApp, seen);
        mesh.store()
                .upsert(TestMesh.workload(waypoint, "default", "waypoint")
                        .protocol(Protocol.HBONE)
                        .build());
        Workload backend = Workload.builder(TestMesh.uid("default", "backend"), "default")
                .name("backend")
                .serviceAccount("backend")
                .addresses("198.18.2.99")
                .protocol(Protocol.HBONE)
                // An endpoint of the service: ignored, the waypoint picks endpoints itself.
                .service("default/echo.default.svc.cluster.local", PortMap.of(80, 9080))
                .build();
        mesh.store().upsert(backend);
        mesh.add(MeshTrafficTest.echoService()
                .waypoint(GatewayAddress.ofAddress(new NetworkAddress("", waypoint.ip()), 15008))
                .build());

        byte[] reply = exchange(client, new InetSocketAddress("198.19.0.10", 80), bytes("via waypoint"));

        assertThat(reply).isEqualTo(bytes("via waypoint"));
        assertThat(seen).singleElement().satisfies(connect -> {
            assertThat(connect.authority()).isEqualTo("198.19.0.10:80");
            assertThat(connect.peer()).contains(CLIENT);
            assertThat(connect.forwarded())
                    .hasValueSatisfying(
                            f -> assertThat(f).startsWith("for=\"" + client.ip().getHostAddress() + ":"));
        });
        await().atMost(TestMesh.WAIT)
                .untilAsserted(() -> assertThat(mesh.observer(1).closed()).hasSize(1));
        ConnectionInfo outbound = mesh.observer(1).closed().getFirst().info();
        assertThat(outbound.reporter()).isEqualTo(Reporter.SOURCE);
        assertThat(outbound.destinationIdentity()).contains(WAYPOINT);
        assertThat(outbound.destination()).isEqualTo(new InetSocketAddress("198.19.0.10", 80));
        assertThat(outbound.destinationService()).isPresent();
    }

    /** An HBONE server in the waypoint's namespace with the waypoint's certificate; CONNECTs go to its own app. */
    private void startFakeWaypoint(Pod waypoint, EchoServer app, List<Connect> seen) throws Exception {
        EventLoopGroup group = net.onTeardown(new GroupCloser(NettyTransport.newEventLoopGroup(1, "fake-waypoint")))
                .group();
        for (EventExecutor loop : group) {
            loop.execute(() -> {});
        }
        NetnsExecutor executor = net.onTeardown(new NetnsExecutor("fake-waypoint"));
        NettyInNetns netty = new NettyInNetns(executor);
        NetworkNamespace namespace = net.onTeardown(NetworkNamespace.open(waypoint.netnsPath()));
        WorkloadCertificate certificate = TestMesh.ca().issue(WAYPOINT);
        var config = HboneServerConfig.defaults(ServerSecurity.mutualTls(
                () -> MeshTls.serverContext(certificate, TestMesh.ca().trustBundle())));
        HboneServer server = waypoint.call(() ->
                        HboneServer.bind(group, new InetSocketAddress(15008), config, (InboundConnect request) -> {
                            seen.add(new Connect(
                                    request.authority().toString(),
                                    request.connection().peerIdentity(),
                                    request.forwarded()));
                            Bootstrap bootstrap = new Bootstrap()
                                    .group(request.eventLoop())
                                    .channel(EpollSocketChannel.class)
                                    .option(ChannelOption.AUTO_READ, false)
                                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                                    .handler(new ChannelInitializer<Channel>() {
                                        @Override
                                        protected void initChannel(Channel ch) {}
                                    });
                            CompletableFuture<Channel> upstream =
                                    netty.connectInNetns(namespace, bootstrap, waypoint.address(app.port()));
                            return upstream.thenApply(ConnectDecision::connected);
                        }))
                .get(5, TimeUnit.SECONDS);
        net.onTeardown(server);
    }

    private record GroupCloser(EventLoopGroup group) implements AutoCloseable {
        @Override
        public void close() {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
