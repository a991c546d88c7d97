package io.ambientjava.ztunnel.runtime;

import static io.ambientjava.ztunnel.runtime.MeshTrafficTest.bytes;
import static io.ambientjava.ztunnel.testsupport.TestMesh.exchange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.authority.HboneAuthority;
import io.ambientjava.hbone.client.ClientSecurity;
import io.ambientjava.hbone.client.ConnectRequest;
import io.ambientjava.hbone.client.HboneClient;
import io.ambientjava.hbone.client.HboneClientConfig;
import io.ambientjava.hbone.client.HboneRefusedException;
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
import io.ambientjava.ztunnel.proxy.PodSockets;
import io.ambientjava.ztunnel.state.policy.Authorization;
import io.ambientjava.ztunnel.state.policy.Match;
import io.ambientjava.ztunnel.state.policy.Rule;
import io.ambientjava.ztunnel.state.policy.StringMatch;
import io.ambientjava.ztunnel.telemetry.Reporter;
import io.ambientjava.ztunnel.telemetry.SecurityPolicy;
import io.ambientjava.ztunnel.testsupport.RecordingObserver;
import io.ambientjava.ztunnel.testsupport.TestMesh;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** L4 authorization on the inbound side, HBONE and plaintext, on real network namespaces. */
@RequiresRoot
@RequiresCommand({"ip", "nft"})
class MeshPolicyTest {

    private static final String STRICT_KEY = "istio-system/istio_converted_static_strict";

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.withNodes(2);

    private TestMesh mesh;
    private Pod server;

    @BeforeEach
    void setUp() throws Exception {
        mesh = new TestMesh(net);
        server = mesh.meshPod(2, "server", w -> w.authorizationPolicies(List.of(STRICT_KEY)), "shop", "server");
        server.startEchoServer(8080);
        server.startEchoServer(9090);
    }

    @Test
    void anAllowPolicyByPrincipalAdmitsOnlyThatPrincipal() throws Exception {
        Pod client = mesh.meshPod(1, "client", "default", "client");
        Pod other = mesh.meshPod(1, "other", "default", "other");
        mesh.add(namespacePolicy(
                "allow-client",
                Authorization.Action.ALLOW,
                Match.builder()
                        .principals(StringMatch.exact("cluster.local/ns/default/sa/client"))
                        .build()));

        assertThat(exchange(client, server.address(8080), bytes("ok"))).isEqualTo(bytes("ok"));
        assertRefused(other, server.address(8080));

        RecordingObserver.Refused refused = onlyRefusal();
        assertThat(refused.reason()).isEqualTo("allow policies exist but none matched");
        assertThat(refused.info().sourceIdentity()).contains(new SpiffeId("cluster.local", "default", "other"));
        assertThat(refused.info().source().getAddress()).isEqualTo(other.ip());
        assertThat(refused.info().reporter()).isEqualTo(Reporter.DESTINATION);
        assertThat(mesh.observer(1).refused())
                .singleElement()
                .satisfies(r -> assertThat(r.reason()).contains("401"));
    }

    @Test
    void aDenyPolicyByNamespaceRefusesThatNamespace() throws Exception {
        Pod friend = mesh.meshPod(1, "friend", "default", "friend");
        Pod blocked = mesh.meshPod(1, "blocked", "untrusted", "blocked");
        mesh.add(namespacePolicy(
                "deny-untrusted",
                Authorization.Action.DENY,
                Match.builder().namespaces(StringMatch.exact("untrusted")).build()));

        assertThat(exchange(friend, server.address(8080), bytes("ok"))).isEqualTo(bytes("ok"));
        assertRefused(blocked, server.address(8080));

        assertThat(onlyRefusal().reason()).isEqualTo("denied by policy shop/deny-untrusted");
    }

    @Test
    void anAllowPolicyByPortAdmitsOnlyThatPort() throws Exception {
        Pod client = mesh.meshPod(1, "client", "default", "client");
        mesh.add(namespacePolicy(
                "allow-8080",
                Authorization.Action.ALLOW,
                Match.builder().destinationPorts(8080).build()));

        assertThat(exchange(client, server.address(8080), bytes("ok"))).isEqualTo(bytes("ok"));
        assertRefused(client, server.address(9090));

        RecordingObserver.Refused refused = onlyRefusal();
        assertThat(refused.info().destination()).isEqualTo(server.address(9090));
        assertThat(refused.reason()).isEqualTo("allow policies exist but none matched");
    }

    @Test
    void strictMtlsRefusesPlaintextFromOutsideTheMesh() throws Exception {
        mesh.add(TestMesh.strictMtls());
        Pod outside = mesh.outsidePod(1, "outside");
        Pod client = mesh.meshPod(1, "client", "default", "client");

        assertRefused(outside, server.address(8080));
        assertThat(exchange(client, server.address(8080), bytes("mtls"))).isEqualTo(bytes("mtls"));

        RecordingObserver.Refused refused = onlyRefusal();
        assertThat(refused.reason()).isEqualTo("denied by policy " + STRICT_KEY);
        assertThat(refused.info().securityPolicy()).isEqualTo(SecurityPolicy.NONE);
        assertThat(refused.info().sourceIdentity()).isEmpty();
        assertThat(refused.info().source().getAddress()).isEqualTo(outside.ip());
    }

    @Test
    void permissiveAcceptsPlaintextAndKeepsTheClientIp() throws Exception {
        Pod outside = mesh.outsidePod(1, "outside");
        EchoServer echo = server.startEchoServer(7070);

        assertThat(exchange(outside, server.address(7070), bytes("plain"))).isEqualTo(bytes("plain"));

        assertThat(echo.clients())
                .singleElement()
                .satisfies(c -> assertThat(c.getAddress()).isEqualTo(outside.ip()));
        await().atMost(TestMesh.WAIT)
                .untilAsserted(() -> assertThat(mesh.observer(2).closed())
                        .singleElement()
                        .satisfies(c -> {
                            assertThat(c.info().securityPolicy()).isEqualTo(SecurityPolicy.NONE);
                            assertThat(c.info().reporter()).isEqualTo(Reporter.DESTINATION);
                            assertThat(c.info().sourceIdentity()).isEmpty();
                            assertThat(c.sent()).isEqualTo(5);
                            assertThat(c.received()).isEqualTo(5);
                        }));
    }

    @Test
    void aConnectForAnAddressThatIsNotThePodsIsRefusedWith400() throws Exception {
        Pod outside = mesh.outsidePod(1, "outside");
        SpiffeId identity = new SpiffeId(TestMesh.TRUST_DOMAIN, "default", "client");
        WorkloadCertificate certificate = TestMesh.ca().issue(identity);
        EventLoopGroup group = NettyTransport.newEventLoopGroup(1, "policy-test");
        for (EventExecutor loop : group) {
            loop.execute(() -> {});
        }
        try (NetnsExecutor executor = new NetnsExecutor("policy-test");
                NetworkNamespace namespace = NetworkNamespace.open(outside.netnsPath());
                HboneClient hbone = new HboneClient(group, HboneClientConfig.defaults())) {
            PodSockets sockets =
                    new PodSockets("outside", namespace, new NettyInNetns(executor), Duration.ofSeconds(3));
            ConnectRequest request = new ConnectRequest(
                    ClientSecurity.mutualTls(
                            identity,
                            () -> MeshTls.clientContext(
                                    certificate, TestMesh.ca().trustBundle())),
                    Set.of(new SpiffeId(TestMesh.TRUST_DOMAIN, "shop", "server")),
                    server.address(15008),
                    HboneAuthority.of(outside.address(8080)),
                    Map.of(),
                    sockets.dialer());

            assertThat(hbone.connect(request))
                    .failsWithin(TestMesh.WAIT)
                    .withThrowableThat()
                    .havingCause()
                    .isInstanceOfSatisfying(HboneRefusedException.class, refused -> {
                        assertThat(refused.status()).isEqualTo(400);
                        assertThat(refused.reason())
                                .hasValueSatisfying(r -> assertThat(r).contains("is not an address of pod"));
                    });
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        assertThat(onlyRefusal().reason())
                .startsWith("CONNECT authority " + outside.ip().getHostAddress() + ":8080");
    }

    private RecordingObserver.Refused onlyRefusal() {
        await().atMost(TestMesh.WAIT)
                .untilAsserted(() -> assertThat(mesh.observer(2).refused()).hasSize(1));
        return mesh.observer(2).refused().getFirst();
    }

    private static Authorization namespacePolicy(String name, Authorization.Action action, Match match) {
        return new Authorization(name, "shop", Authorization.Scope.NAMESPACE, action, List.of(Rule.of(match)), false);
    }

    /** The connection is accepted by the client's own ztunnel and then reset, with no byte from the app. */
    private static void assertRefused(Pod from, InetSocketAddress to) {
        byte[] reply;
        try {
            reply = exchange(from, to, bytes("should not pass"));
        } catch (IOException e) {
            return;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThat(reply).as("reply from %s", to).isEmpty();
    }
}
