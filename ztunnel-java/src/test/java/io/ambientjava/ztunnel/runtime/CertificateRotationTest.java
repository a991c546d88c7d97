package io.ambientjava.ztunnel.runtime;

import static io.ambientjava.ztunnel.runtime.MeshTrafficTest.bytes;
import static io.ambientjava.ztunnel.testsupport.TestMesh.exchange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.identity.ca.CaOptions;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.manager.LocalCaCertificateProvider;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.ztunnel.testsupport.TestMesh;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Certificates that expire in seconds are renewed under open connections, which carry on. */
@RequiresRoot
@RequiresCommand({"ip", "nft"})
class CertificateRotationTest {

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.withNodes(2);

    @Test
    void connectionsSurviveTheRenewalOfTheirCertificates() throws Exception {
        MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned(
                TestMesh.TRUST_DOMAIN, CaOptions.defaults().withClockSkew(Duration.ZERO));
        TestMesh mesh = new TestMesh(net, new LocalCaCertificateProvider(ca, Duration.ofSeconds(3)), c -> c);
        Pod client = mesh.meshPod(1, "client", "default", "client");
        Pod server = mesh.meshPod(2, "server", "default", "server");
        server.startEchoServer(8080);
        Map<String, Instant> before = expiries(mesh, 1);

        try (Socket open = client.connect(server.address(8080))) {
            open.setSoTimeout((int) TestMesh.WAIT.toMillis());
            open.getOutputStream().write(bytes("before"));
            assertThat(open.getInputStream().readNBytes(6)).isEqualTo(bytes("before"));

            await().atMost(Duration.ofSeconds(6)).untilAsserted(() -> {
                assertThat(expiries(mesh, 1)).isNotEqualTo(before);
                assertThat(expiries(mesh, 2))
                        .allSatisfy((id, expiry) -> assertThat(expiry)
                                .isAfter(before.values().iterator().next()));
            });

            open.getOutputStream().write(bytes("after"));
            assertThat(open.getInputStream().readNBytes(5)).isEqualTo(bytes("after"));
        }
        assertThat(exchange(client, server.address(8080), bytes("new"))).isEqualTo(bytes("new"));
    }

    private static Map<String, Instant> expiries(TestMesh mesh, int node) {
        return mesh.ztunnel(node).certificates().stream()
                .collect(Collectors.toMap(
                        c -> c.identity().toString(), c -> c.notAfter().orElseThrow(), (a, b) -> a));
    }
}
