package io.ambientjava.waypoint.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.istiod.config.local.LocalFolderSource;
import io.ambientjava.istiod.server.IstiodServer;
import io.ambientjava.waypoint.config.WaypointConfig;
import io.ambientjava.waypoint.xds.AdsClient;
import io.ambientjava.waypoint.xds.NodeIdentity;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The real istiod-lite on a config folder of the user's YAML, and the waypoint's ADS clients subscribed to it: the
 * control plane half of the tests that go from YAML to a waypoint. Closing stops the clients, then istiod-lite.
 */
public final class IstiodLite implements AutoCloseable {

    /** The namespace waypoint {@code default/waypoint} at 198.19.0.2. */
    public static final NodeIdentity WAYPOINT =
            new NodeIdentity(false, "198.19.0.2", "waypoint-0", "default", "waypoint", "waypoint");

    /** The ingress gateway of the Gateway {@code default/edge}. */
    public static final NodeIdentity EDGE_GATEWAY =
            new NodeIdentity(true, "198.18.9.9", "edge-0", "default", "edge", "default/edge");

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final LocalFolderSource source;
    private final IstiodServer istiod;
    private final ManagedChannel channel;
    private final List<AdsClient> clients = new CopyOnWriteArrayList<>();

    private IstiodLite(LocalFolderSource source, IstiodServer istiod) {
        this.source = source;
        this.istiod = istiod;
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", istiod.xdsPort())
                .usePlaintext()
                .build();
    }

    /** With a self-signed CA for {@code cluster.local} and the default settings. */
    public static IstiodLite start(Path folder) {
        return start(folder, MeshCertificateAuthority.createSelfSigned("cluster.local"), UnaryOperator.identity());
    }

    /** @param settings further builder settings (mesh telemetry, ...) */
    public static IstiodLite start(
            Path folder, MeshCertificateAuthority ca, UnaryOperator<IstiodServer.Builder> settings) {
        LocalFolderSource source = LocalFolderSource.open(folder, Duration.ofMillis(100));
        try {
            IstiodServer istiod = settings.apply(
                            IstiodServer.builder(source, ca).xdsPort(0).debounce(Duration.ofMillis(20)))
                    .start();
            return new IstiodLite(source, istiod);
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /** The running istiod-lite (its translation warnings, ...). */
    public IstiodServer server() {
        return istiod;
    }

    /** An ADS client subscribed as {@code node}, applying what it accepts; closed with this. */
    public AdsClient subscribe(NodeIdentity node, Consumer<WaypointConfig> apply) {
        AdsClient client = new AdsClient(channel, node, apply);
        clients.add(client);
        client.start();
        return client;
    }

    /** Waits until {@code accepted} holds, failing with the NACK's reason if the client refused something. */
    public static void awaitAccepted(AdsClient client, BooleanSupplier accepted) {
        await().atMost(WAIT).until(() -> client.nacks() > 0 || accepted.getAsBoolean());
        assertThat(client.nacks()).as("NACK: %s", client.lastNack()).isZero();
    }

    @Override
    public void close() throws InterruptedException {
        clients.forEach(AdsClient::close);
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        istiod.close();
        source.close();
    }
}
