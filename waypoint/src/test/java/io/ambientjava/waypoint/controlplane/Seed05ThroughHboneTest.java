package io.ambientjava.waypoint.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.client.ClientSecurity;
import io.ambientjava.hbone.server.ServerSecurity;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.tls.MeshTls;
import io.ambientjava.waypoint.WaypointServer;
import io.ambientjava.waypoint.config.ListenerConfig;
import io.ambientjava.waypoint.config.WaypointConfig;
import io.ambientjava.waypoint.proxy.ProxyLimits;
import io.ambientjava.waypoint.testsupport.ClientZtunnel;
import io.ambientjava.waypoint.testsupport.IstiodLite;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.ambientjava.waypoint.xds.AdsClient;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seed 05 (unmodified) on the mesh path: clients tunnel to the waypoint over HBONE with their own mesh certificates,
 * the waypoint runs on what the real istiod-lite sends it, and the SPIFFE ID in the client certificate decides.
 */
class Seed05ThroughHboneTest {

    private static final Path SEEDS = Path.of("../istiod-lite/src/test/resources/seed-examples");
    private static final String VIP = "198.19.0.30";
    private static final SpiffeId PRODUCTPAGE =
            SpiffeId.parse("spiffe://cluster.local/ns/default/sa/bookinfo-productpage");
    private static final SpiffeId REVIEWS = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/reviews");
    private static final SpiffeId WAYPOINT = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/waypoint");

    @TempDir
    Path folder;

    private final MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned("cluster.local");
    private final WorkloadCertificate waypointCert = ca.issue(WAYPOINT);
    private final EventLoopGroup group = NettyTransport.newEventLoopGroup(2, "seed05");
    private final TestUpstream productpage = new TestUpstream(group, "productpage");
    private final WaypointServer waypoint = WaypointServer.start(
            new WaypointServer.Settings(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    15008,
                    ServerSecurity.mutualTls(() -> MeshTls.serverContext(waypointCert, ca.trustBundle())),
                    ClientSecurity.mutualTls(WAYPOINT, () -> MeshTls.clientContext(waypointCert, ca.trustBundle())),
                    ProxyLimits.defaults(),
                    2,
                    false,
                    "127.0.0.1"),
            record -> {});
    private final List<ClientZtunnel> clientZtunnels = new ArrayList<>();
    private final AtomicReference<WaypointConfig> applied = new AtomicReference<>(WaypointConfig.EMPTY);
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private IstiodLite istiodLite;
    private AdsClient ads;

    @AfterEach
    void stop() throws Exception {
        clientZtunnels.forEach(ClientZtunnel::close);
        if (istiodLite != null) {
            istiodLite.close();
        }
        waypoint.close();
        productpage.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void theCertificatesIdentityDecidesWhoMayGetProducts() throws Exception {
        Files.writeString(
                folder.resolve("00-mesh.yaml"), mesh(productpage.address().getPort()));
        Files.copy(
                SEEDS.resolve("05-authorizationpolicy-productpage-policy.yaml"),
                folder.resolve("05-authorizationpolicy-productpage-policy.yaml"));
        istiodLite = IstiodLite.start(folder, ca, java.util.function.UnaryOperator.identity());
        ads = istiodLite.subscribe(IstiodLite.WAYPOINT, config -> {
            waypoint.apply(config);
            applied.set(config);
        });
        IstiodLite.awaitAccepted(
                ads,
                () -> applied.get()
                        .listenerFor(VIP, 9080)
                        .map(l -> l.kind() instanceof ListenerConfig.Http h
                                && !h.rbac().isEmpty())
                        .orElse(false));

        int asProductpage = tunnelAs(PRODUCTPAGE);
        int asReviews = tunnelAs(REVIEWS);

        assertThat(get(asProductpage, "GET", "/api/v1/products").statusCode()).isEqualTo(200);
        HttpResponse<String> post = get(asProductpage, "POST", "/api/v1/products");
        assertThat(post.statusCode()).isEqualTo(403);
        assertThat(post.body()).isEqualTo("RBAC: access denied");
        HttpResponse<String> other = get(asReviews, "GET", "/api/v1/products");
        assertThat(other.statusCode()).isEqualTo(403);
        assertThat(other.body()).isEqualTo("RBAC: access denied");
        assertThat(productpage.count.get()).isEqualTo(1);
    }

    private HttpResponse<String> get(int port, String method, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .method(method, HttpRequest.BodyPublishers.noBody())
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A local port whose connections the client's "ztunnel" tunnels to the waypoint as {@code identity}. */
    private int tunnelAs(SpiffeId identity) {
        WorkloadCertificate cert = ca.issue(identity);
        ClientZtunnel ztunnel = new ClientZtunnel(
                group, ClientSecurity.mutualTls(identity, () -> MeshTls.clientContext(cert, ca.trustBundle())));
        clientZtunnels.add(ztunnel);
        return ztunnel.outboundPort(WAYPOINT, waypoint.hbonePort(), new InetSocketAddress(VIP, 9080));
    }

    private static String mesh(int backendPort) {
        return """
                apiVersion: v1
                kind: Namespace
                metadata: {name: default, labels: {istio.io/use-waypoint: waypoint}}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: waypoint, namespace: default}
                spec:
                  gatewayClassName: istio-waypoint
                  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: waypoint, namespace: default, labels: {gateway.istio.io/managed: istio.io-mesh-controller}}
                spec: {clusterIP: 198.19.0.2, ports: [{name: mesh, port: 15008}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: productpage, namespace: default}
                spec: {clusterIP: 198.19.0.30, selector: {app: productpage}, ports: [{name: http, port: 9080, targetPort: %d}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: productpage-v1, namespace: default, labels: {app: productpage}}
                spec: {serviceAccountName: bookinfo-productpage, containers: [{name: app, image: app}]}
                status: {phase: Running, podIP: 127.0.0.1}
                """.formatted(backendPort);
    }
}
