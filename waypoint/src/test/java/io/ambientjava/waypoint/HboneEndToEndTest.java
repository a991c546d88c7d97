package io.ambientjava.waypoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import io.ambientjava.hbone.client.HboneRefusedException;
import io.ambientjava.hbone.server.HboneServer;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.waypoint.telemetry.RequestRecord;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.LocalCommands;
import io.ambientjava.waypoint.testsupport.MeshPath;
import io.ambientjava.waypoint.testsupport.Rbac;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.ambientjava.waypoint.xds.ConfigAssembler;
import io.ambientjava.waypoint.xds.TypeUrls;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The mesh path: a client's ztunnel (an HBONE client as productpage) → the waypoint (HBONE mTLS in, as
 * waypoint) → the destination's ztunnel (HBONE mTLS, as reviews) → the app.
 */
class HboneEndToEndTest {

    private static final SpiffeId CLIENT = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/productpage");
    private static final SpiffeId WAYPOINT = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/waypoint");
    private static final SpiffeId REVIEWS = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/reviews");

    private final MeshPath path = new MeshPath("e2e", CLIENT, WAYPOINT, REVIEWS);
    private final EventLoopGroup group = path.group;
    private final List<RequestRecord> records = path.records;
    private final WaypointServer waypoint = path.waypoint;
    private final HboneServer destinationZtunnel = path.destinationZtunnel;
    private final TestUpstream app = new TestUpstream(group, "reviews-v1");

    @AfterEach
    void close() {
        app.close();
        path.close();
    }

    private void configure(String identity) {
        configure(identity, Envoy.httpListener(TestBed.VIP, 80, TestBed.HOST));
    }

    private void configure(String identity, io.envoyproxy.envoy.config.listener.v3.Listener listener) {
        var assembler = new ConfigAssembler();
        waypoint.apply(assembler.apply(
                TypeUrls.LISTENER,
                List.of(update("inbound-vip|80|http|" + TestBed.HOST, Any.pack(listener))),
                List.of()));
        waypoint.apply(assembler.apply(
                TypeUrls.ROUTE,
                List.of(update(
                        TestBed.HOST + ":80",
                        Any.pack(Envoy.routes(
                                TestBed.HOST + ":80",
                                List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER)
                                        .build()))))),
                List.of()));
        waypoint.apply(assembler.apply(
                TypeUrls.CLUSTER,
                List.of(update(
                        TestBed.DEFAULT_CLUSTER,
                        Any.pack(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build()))),
                List.of()));
        waypoint.apply(assembler.apply(
                TypeUrls.ENDPOINT,
                List.of(update(
                        TestBed.DEFAULT_CLUSTER,
                        Any.pack(Envoy.hboneEndpoints(TestBed.DEFAULT_CLUSTER, app.address(), identity)))),
                List.of()));
    }

    private static ConfigAssembler.Update update(String name, Any resource) {
        return new ConfigAssembler.Update(name, "1", resource);
    }

    /** A local port that tunnels each connection to the waypoint for the service VIP, as the client's ztunnel does. */
    private int startOutbound() {
        return path.outboundTo(new InetSocketAddress(TestBed.VIP, 80));
    }

    private static String curl(int port, String path, String... options) throws Exception {
        return LocalCommands.curlLoopback(port, path, options);
    }

    @Test
    @RequiresCommand({"curl"})
    void httpThroughHboneBothWays() throws Exception {
        configure(REVIEWS.toString());
        int port = startOutbound();
        assertThat(curl(port, "/reviews/1")).isEqualTo("reviews-v1 GET /reviews/1\n");
        assertThat(curl(port, "/h2", "--http2-prior-knowledge")).isEqualTo("reviews-v1 GET /h2\n");
        assertThat(curl(port, "/h2b", "--http2-prior-knowledge")).isEqualTo("reviews-v1 GET /h2b\n");
        for (int i = 0; i < 20; i++) {
            assertThat(curl(port, "/n" + i)).isEqualTo("reviews-v1 GET /n" + i + "\n");
        }
        RequestRecord first = records.getFirst();
        assertThat(first.sourcePrincipal()).contains(CLIENT.toString());
        assertThat(first.sourceAddress()).contains("198.18.0.5:43210");
        assertThat(first.mtls()).isTrue();
        assertThat(first.destinationService()).isEqualTo(TestBed.HOST);
        // The pooled HBONE connection to the destination ztunnel carries the tunnels.
        assertThat(destinationZtunnel.connectionCount()).isBetween(1, 2);
    }

    /** RBAC sees the client's SPIFFE ID from the HBONE mTLS connection and the original client from the CONNECT. */
    @Test
    @RequiresCommand({"curl"})
    void rbacAuthorizesThePeerIdentityOfTheHboneConnection() throws Exception {
        var fromClient = io.envoyproxy.envoy.config.rbac.v3.Principal.newBuilder()
                .setAndIds(io.envoyproxy.envoy.config.rbac.v3.Principal.Set.newBuilder()
                        .addIds(Rbac.principalName(CLIENT.toString()))
                        .addIds(io.envoyproxy.envoy.config.rbac.v3.Principal.newBuilder()
                                .setDirectRemoteIp(io.envoyproxy.envoy.config.core.v3.CidrRange.newBuilder()
                                        .setAddressPrefix("198.18.0.5")
                                        .setPrefixLen(Envoy.u32(32)))))
                .build();
        configure(
                REVIEWS.toString(),
                Rbac.withFilters(
                        Envoy.httpListener(TestBed.VIP, 80, TestBed.HOST),
                        Rbac.filter(
                                io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW,
                                Rbac.policy(Rbac.anyPermission(), fromClient))));
        int port = startOutbound();
        assertThat(curl(port, "/ok")).isEqualTo("reviews-v1 GET /ok\n");

        configure(
                REVIEWS.toString(),
                Rbac.withFilters(
                        Envoy.httpListener(TestBed.VIP, 80, TestBed.HOST),
                        Rbac.filter(
                                io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW,
                                Rbac.policy(
                                        Rbac.anyPermission(),
                                        Rbac.principalName("spiffe://cluster.local/ns/default/sa/someone-else")))));
        assertThat(curl(port, "/no", "-w", " %{http_code}")).isEqualTo("RBAC: access denied 403");
    }

    @Test
    void connectToAVipWithoutListenerIsRefused() {
        configure(REVIEWS.toString());
        assertThatThrownBy(() -> path.clientZtunnel
                        .hbone()
                        .connect(path.connect(new InetSocketAddress("198.19.0.99", 80)))
                        .join())
                .hasCauseInstanceOf(HboneRefusedException.class);
    }

    @Test
    @RequiresCommand({"curl"})
    void destinationWithAnotherIdentityIsNotTrusted() throws Exception {
        configure("spiffe://cluster.local/ns/default/sa/impostor");
        int port = startOutbound();
        String out = curl(port, "/x", "-w", " %{http_code}");
        assertThat(out).endsWith(" 503");
        assertThat(app.count.get()).isZero();
    }

    @Test
    void grpcTrailersSurviveBothTunnels() throws Exception {
        configure(REVIEWS.toString());
        int port = startOutbound();
        try (var client =
                new io.ambientjava.waypoint.testsupport.H2Client(group, new InetSocketAddress("127.0.0.1", port))) {
            var headers = io.ambientjava.waypoint.testsupport.H2Client.request("POST", "/pkg.Reviews/Stream", "reviews")
                    .set("content-type", "application/grpc")
                    .set("te", "trailers");
            var response = client.exchange(headers, List.of("a-", "b-", "c"));
            assertThat(response.body()).isEqualTo("a-b-c");
            assertThat(response.trailers().get("grpc-status").toString()).isEqualTo("0");
        }
        assertThat(records.getLast().grpcStatus()).contains("0");
    }

    @Test
    void tcpServiceThroughHbone() throws Exception {
        try (var echo = new java.net.ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (var socket = echo.accept()) {
                    socket.getInputStream().transferTo(socket.getOutputStream());
                } catch (Exception ignored) {
                    // test over
                }
            });
            var assembler = new ConfigAssembler();
            waypoint.apply(assembler.apply(
                    TypeUrls.LISTENER,
                    List.of(update(
                            "inbound-vip|80|tcp|" + TestBed.HOST,
                            Any.pack(Envoy.tcpListener(TestBed.VIP, 80, TestBed.HOST)))),
                    List.of()));
            waypoint.apply(assembler.apply(
                    TypeUrls.CLUSTER,
                    List.of(update(
                            TestBed.DEFAULT_CLUSTER,
                            Any.pack(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build()))),
                    List.of()));
            waypoint.apply(assembler.apply(
                    TypeUrls.ENDPOINT,
                    List.of(update(
                            TestBed.DEFAULT_CLUSTER,
                            Any.pack(Envoy.hboneEndpoints(
                                    TestBed.DEFAULT_CLUSTER,
                                    (InetSocketAddress) echo.getLocalSocketAddress(),
                                    REVIEWS.toString())))),
                    List.of()));
            int port = startOutbound();
            try (var socket = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
                socket.setSoTimeout(5000);
                byte[] payload = "not http at all\u0000\u0001".getBytes(StandardCharsets.ISO_8859_1);
                socket.getOutputStream().write(payload);
                assertThat(socket.getInputStream().readNBytes(payload.length)).isEqualTo(payload);
                // Half-close travels as END_STREAM: the echo sees EOF, ends its side, and so does the client.
                socket.shutdownOutput();
                assertThat(socket.getInputStream().read()).isEqualTo(-1);
            }
        }
    }

    /** h2c upgrade inside the tunnel: the upgraded request is stream 1 of an HTTP/2 connection inside a stream. */
    @Test
    @RequiresCommand({"curl"})
    void h2cUpgradeInsideTheTunnel() throws Exception {
        configure(REVIEWS.toString());
        int port = startOutbound();
        assertThat(curl(port, "/up", "--http2", "-w", " %{http_version}")).isEqualTo("reviews-v1 GET /up\n 2");
        assertThat(curl(port, "/up2", "--http2", "-w", " %{http_version}")).isEqualTo("reviews-v1 GET /up2\n 2");
    }

    /**
     * A response ending the connection (HTTP/1.1 Connection: close) ends the tunnel as a TCP close would: the
     * client reads the whole response, then EOF, not a reset; the waypoint's stream ends both ways.
     */
    @Test
    void connectionCloseEndsTheTunnelWithEndStreamNotReset() throws Exception {
        configure(REVIEWS.toString());
        int port = startOutbound();
        for (int i = 0; i < 20; i++) {
            try (var socket = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
                socket.setSoTimeout(5000);
                socket.getOutputStream()
                        .write(("GET /close" + i + " HTTP/1.1\r\nHost: reviews\r\nConnection: close\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertThat(response).startsWith("HTTP/1.1 200").endsWith("reviews-v1 GET /close" + i + "\n");
            }
        }
    }
}
