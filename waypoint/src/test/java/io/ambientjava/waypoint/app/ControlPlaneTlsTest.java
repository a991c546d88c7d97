package io.ambientjava.waypoint.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.pem.Pem;
import io.ambientjava.istiod.config.local.LocalFolderSource;
import io.ambientjava.istiod.server.IstiodServer;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The waypoint's TLS channel to istiod-lite (--istiod-root-cert, as istiod-lite deploys waypoints on a cluster, with
 * {@code --xds-address istiod.istio-system.svc:15012}) checks the host name it dials against istiod-lite's
 * certificate, so that certificate has to name it.
 */
@Timeout(60)
class ControlPlaneTlsTest {

    @TempDir
    Path dir;

    private final MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned("cluster.local");

    private IstiodServer istiod(List<String> hostNames) throws Exception {
        Path config = Files.createDirectories(dir.resolve("config-" + System.nanoTime()));
        return IstiodServer.builder(LocalFolderSource.open(config, Duration.ofSeconds(5)), ca)
                .xdsPort(0)
                .tlsAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .servingHostNames(hostNames)
                .start();
    }

    private ConnectivityState settledState(ManagedChannel channel) {
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            ConnectivityState state = channel.getState(true);
            return state == ConnectivityState.READY || state == ConnectivityState.TRANSIENT_FAILURE;
        });
        return channel.getState(false);
    }

    @Test
    void istiodLitesCertificateIsAcceptedForTheNameTheWaypointDials() throws Exception {
        Path root = Files.writeString(
                dir.resolve("root-cert.pem"),
                Pem.writeCertificates(ca.trustBundle().roots()));
        IstiodServer named = istiod(List.of("localhost"));
        ManagedChannel channel =
                ControlPlane.channel("localhost:" + named.tlsPort().orElseThrow(), Optional.of(root));
        try {
            assertThat(settledState(channel)).isEqualTo(ConnectivityState.READY);
        } finally {
            channel.shutdownNow();
            named.close();
        }

        // a certificate with istiod's SPIFFE ID only, as istiod-lite had before: the waypoint does not talk to it
        IstiodServer unnamed = istiod(List.of());
        ManagedChannel refused =
                ControlPlane.channel("localhost:" + unnamed.tlsPort().orElseThrow(), Optional.of(root));
        try {
            assertThat(settledState(refused)).isEqualTo(ConnectivityState.TRANSIENT_FAILURE);
        } finally {
            refused.shutdownNow();
            unnamed.close();
        }
    }
}
