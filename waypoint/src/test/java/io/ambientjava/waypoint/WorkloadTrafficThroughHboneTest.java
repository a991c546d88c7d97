package io.ambientjava.waypoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.ambientjava.hbone.client.HboneRefusedException;
import io.ambientjava.hbone.server.HboneServer;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.waypoint.telemetry.RequestRecord;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.LocalCommands;
import io.ambientjava.waypoint.testsupport.MeshPath;
import io.ambientjava.waypoint.testsupport.Rbac;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.ambientjava.waypoint.xds.ConfigAssembler;
import io.ambientjava.waypoint.xds.TypeUrls;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Workload-addressed traffic (a waypoint with {@code istio.io/waypoint-for: workload}): the client's ztunnel
 * CONNECTs to the pod's own address and port, the waypoint takes it on that pod's filter chain of the
 * {@code inbound-pod} listener (any port), applies its L7 policy, and tunnels to the pod's ztunnel as the pod's
 * identity says, to the address the client named ({@code ORIGINAL_DST}).
 */
class WorkloadTrafficThroughHboneTest {

    private static final SpiffeId CLIENT = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/productpage");
    private static final SpiffeId WAYPOINT = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/waypoint");
    private static final SpiffeId REVIEWS = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/reviews");
    /** The pod's address: its apps listen on loopback, where the destination "ztunnel" connects. */
    private static final String POD_IP = "127.0.0.1";

    private final MeshPath path = new MeshPath("workload-e2e", CLIENT, WAYPOINT, REVIEWS);
    private final List<RequestRecord> records = path.records;
    private final WaypointServer waypoint = path.waypoint;
    private final HboneServer podZtunnel = path.destinationZtunnel;
    private final TestUpstream app = new TestUpstream(path.group, "reviews-v1");
    private final TestUpstream admin = new TestUpstream(path.group, "reviews-admin");
    private final ConfigAssembler assembler = new ConfigAssembler();

    @AfterEach
    void close() {
        app.close();
        admin.close();
        path.close();
    }

    private void configure(FilterChain... chains) {
        push(TypeUrls.CLUSTER, Envoy.originalDestinationCluster());
        push(TypeUrls.ROUTE, Envoy.workloadRoutes());
        push(TypeUrls.LISTENER, Envoy.workloadListener(chains));
    }

    private void push(String type, Message resource) {
        String name = switch (resource) {
            case Listener l -> l.getName();
            case RouteConfiguration r -> r.getName();
            case Cluster c -> c.getName();
            default -> throw new IllegalArgumentException(resource.getClass().getName());
        };
        waypoint.apply(
                assembler.apply(type, List.of(new ConfigAssembler.Update(name, "1", Any.pack(resource))), List.of()));
    }

    /** A local port whose connections the client's "ztunnel" tunnels to the waypoint for {@code pod}. */
    private int outboundTo(InetSocketAddress pod) {
        return path.outboundTo(pod);
    }

    private static String curl(int port, String path, String... options) throws Exception {
        return LocalCommands.curlLoopback(port, path, options);
    }

    @Test
    @RequiresCommand({"curl"})
    void requestsToThePodsOwnAddressReachItOnWhicheverPortTheClientNamed() throws Exception {
        configure(Envoy.workloadChain(POD_IP, REVIEWS.toString()));
        int toApp = outboundTo(app.address());
        int toAdmin = outboundTo(admin.address());

        assertThat(curl(toApp, "/reviews/1")).isEqualTo("reviews-v1 GET /reviews/1\n");
        assertThat(curl(toApp, "/h2", "--http2-prior-knowledge")).isEqualTo("reviews-v1 GET /h2\n");
        assertThat(curl(toAdmin, "/stats")).isEqualTo("reviews-admin GET /stats\n");

        RequestRecord first = records.getFirst();
        assertThat(first.sourcePrincipal()).contains(CLIENT.toString());
        assertThat(first.sourceAddress()).contains("198.18.0.5:43210");
        assertThat(first.destinationWorkload()).contains("reviews-v1-pod;default;reviews;v1;Kubernetes");
        assertThat(first.destinationPrincipal()).contains(REVIEWS.toString());
        assertThat(podZtunnel.connectionCount()).isBetween(1, 2); // the tunnels share the pooled HBONE connection
    }

    @Test
    @RequiresCommand({"curl"})
    void aPodWhoseZtunnelCannotProveThePodsIdentityIsNotTrusted() throws Exception {
        configure(Envoy.workloadChain(POD_IP, "spiffe://cluster.local/ns/default/sa/impostor"));
        int port = outboundTo(app.address());
        assertThat(curl(port, "/x", "-w", " %{http_code}")).endsWith(" 503");
        assertThat(app.count.get()).isZero();
    }

    @Test
    @RequiresCommand({"curl"})
    void thePodsChainCarriesItsL7Policy() throws Exception {
        configure(Envoy.workloadChain(
                POD_IP,
                REVIEWS.toString(),
                Rbac.filter(
                        io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY,
                        Rbac.policy(Rbac.method("POST"), Rbac.principalName(CLIENT.toString())))));
        int port = outboundTo(app.address());
        assertThat(curl(port, "/read")).isEqualTo("reviews-v1 GET /read\n");
        assertThat(curl(port, "/write", "-w", " %{http_code}", "-X", "POST")).isEqualTo("RBAC: access denied 403");
        assertThat(app.count.get()).isEqualTo(1);
    }

    @Test
    void bytesThatAreNotHttpGoToTheOriginalDestinationByTcp() throws Exception {
        try (ServerSocket echo = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (Socket socket = echo.accept()) {
                    socket.getInputStream().transferTo(socket.getOutputStream());
                } catch (Exception ignored) {
                    // test over
                }
            });
            configure(Envoy.workloadChain(POD_IP, REVIEWS.toString()));
            int port = outboundTo((InetSocketAddress) echo.getLocalSocketAddress());
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                socket.setSoTimeout(5000);
                byte[] payload = "not http at all\u0000\u0001".getBytes(StandardCharsets.ISO_8859_1);
                socket.getOutputStream().write(payload);
                assertThat(socket.getInputStream().readNBytes(payload.length)).isEqualTo(payload);
                socket.shutdownOutput();
                assertThat(socket.getInputStream().read()).isEqualTo(-1);
            }
        }
    }

    @Test
    void anAddressWithoutAChainIsRefused() {
        configure(Envoy.workloadChain(POD_IP, REVIEWS.toString()));
        assertThatThrownBy(() -> path.clientZtunnel
                        .hbone()
                        .connect(path.connect(new InetSocketAddress("198.18.0.99", 8080)))
                        .join())
                .hasCauseInstanceOf(HboneRefusedException.class);
    }

    @Test
    @RequiresCommand({"curl"})
    void aPodLeavingTheWaypointClosesItsAddressToNewConnections() throws Exception {
        configure(
                Envoy.workloadChain(POD_IP, REVIEWS.toString()), Envoy.workloadChain("198.18.0.7", REVIEWS.toString()));
        int port = outboundTo(app.address());
        assertThat(curl(port, "/before")).isEqualTo("reviews-v1 GET /before\n");

        push(TypeUrls.LISTENER, Envoy.workloadListener(Envoy.workloadChain("198.18.0.7", REVIEWS.toString())));
        assertThatThrownBy(() -> path.clientZtunnel
                        .hbone()
                        .connect(path.connect(app.address()))
                        .join())
                .hasCauseInstanceOf(HboneRefusedException.class);
    }
}
