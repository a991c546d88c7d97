package io.ambientjava.ztunnel.runtime;

import static io.ambientjava.ztunnel.testsupport.TestMesh.exchange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.dns.Dnsmasq;
import io.ambientjava.testing.netns.EchoServer;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.ztunnel.dns.DnsSettings;
import io.ambientjava.ztunnel.state.PortMap;
import io.ambientjava.ztunnel.state.Protocol;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.telemetry.SecurityPolicy;
import io.ambientjava.ztunnel.testsupport.RecordingObserver;
import io.ambientjava.ztunnel.testsupport.TestMesh;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A service whose endpoint is known only by its DNS name, as istiod-lite sends a ServiceEntry with
 * {@code resolution: DNS}: ztunnel asks the node's resolver (a real dnsmasq on the host's loopback, where a node's
 * resolver would be) when a pod connects to the service's VIP, then connects from inside the pod to the address it
 * got.
 */
@RequiresRoot
@RequiresCommand({"ip", "nft", "dnsmasq"})
class HostnameEndpointTrafficTest {

    private static final String API = "default/api.external.test";
    private static final InetSocketAddress VIP = new InetSocketAddress("198.19.0.20", 80);

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.withNodes(2);

    private TestMesh mesh;
    private Pod outside;

    @BeforeEach
    void setUp() throws Exception {
        outside = net.node(2).addPod("outside");
        Dnsmasq dns = net.onTeardown(Dnsmasq.startOnLoopback(new Dnsmasq.Zone("external.test")
                .a("api.external.test", outside.ip().getHostAddress())));
        mesh = new TestMesh(net).withDns(DnsSettings.disabled(List.of(dns.address())));
    }

    @Test
    void aVipWhoseEndpointIsANameReachesTheAddressTheResolverGives() throws Exception {
        Pod client = mesh.meshPod(1, "client", "default", "client");
        EchoServer echo = outside.startEchoServer(8443);
        byName("api.external.test");

        assertThat(exchange(client, VIP, bytes("over dns"))).isEqualTo(bytes("over dns"));
        assertThat(exchange(client, VIP, bytes("again"))).isEqualTo(bytes("again"));

        assertThat(echo.clients())
                .hasSize(2)
                .allSatisfy(c -> assertThat(c.getAddress()).isEqualTo(client.ip()));
        await().atMost(TestMesh.WAIT)
                .untilAsserted(() -> assertThat(mesh.observer(1).closed()).hasSize(2));
        RecordingObserver.Closed closed = mesh.observer(1).closed().getFirst();
        assertThat(closed.info().destination()).isEqualTo(outside.address(8443));
        assertThat(closed.info().destinationWorkload()).map(Workload::name).contains("api");
        assertThat(closed.info().destinationService()).map(Service::hostname).contains("api.external.test");
        assertThat(closed.info().securityPolicy()).isEqualTo(SecurityPolicy.NONE);
    }

    @Test
    void aNameWithoutAddressResetsTheClientAndTheRefusalNamesIt() throws Exception {
        Pod client = mesh.meshPod(1, "client", "default", "client");
        byName("gone.external.test");

        byte[] reply;
        try {
            reply = exchange(client, VIP, bytes("anyone?"));
        } catch (IOException reset) {
            reply = new byte[0];
        }

        assertThat(reply).isEmpty();
        await().atMost(TestMesh.WAIT)
                .untilAsserted(() -> assertThat(mesh.observer(1).refused())
                        .singleElement()
                        .satisfies(r -> assertThat(r.reason())
                                .startsWith("no further usable endpoint for service " + API + " port 80")
                                .contains("cannot resolve gone.external.test")));
    }

    /** The service and its one endpoint, known by {@code hostname}, as istiod-lite translates a DNS ServiceEntry. */
    private void byName(String hostname) {
        mesh.store()
                .upsert(Workload.builder(
                                "Kubernetes/networking.istio.io/ServiceEntry/default/api/" + hostname, "default")
                        .name("api")
                        .hostname(hostname)
                        .protocol(Protocol.TCP)
                        .service(API, PortMap.of(80, 8443))
                        .build());
        mesh.add(Service.builder("default", "api.external.test")
                .name("api")
                .vips("/" + VIP.getAddress().getHostAddress())
                .ports(PortMap.of(80, 8443))
                .build());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
