package io.ambientjava.waypoint.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.client.ClientSecurity;
import io.ambientjava.waypoint.telemetry.RequestObserver;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.ServerFirstHbonePeer;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.netty.channel.EventLoopGroup;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Endpoints that speak first, behind an HBONE peer that sends its 200 and their first bytes in one write: the
 * waypoint must pass those bytes to whatever reads the tunnel (an HTTP/2 codec, a TCP proxy), not drop them. An
 * HTTP/2 server's SETTINGS lost that way made the waypoint's client close the connection (the gRPC request failed
 * with 503 "upstream connection closed").
 */
class ServerFirstUpstreamTest {

    private static final int ROUNDS = 20;

    private final EventLoopGroup peerGroup = NettyTransport.newEventLoopGroup(1, "hbone-peer");
    private final TestUpstream app = TestUpstream.http2Only(peerGroup, "grpc-echo-v1");
    private ServerFirstHbonePeer peer;
    private TestBed bed;

    @AfterEach
    void close() {
        if (bed != null) {
            bed.close();
        }
        if (peer != null) {
            peer.close();
        }
        app.close();
        peerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void behindPeer(InetSocketAddress endpoint) {
        peer = new ServerFirstHbonePeer(peerGroup, endpoint);
        bed = new TestBed(RequestObserver.NONE, ClientSecurity.plaintext(), peer.port());
    }

    @Test
    void anHttp2ServersSettingsThatCameWithTheConnectAnswerReachTheWaypointsCodec() {
        behindPeer(app.address());
        bed.configure(List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build()));
        bed.push(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER)
                .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance())
                .setCommonHttpProtocolOptions(io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions.newBuilder()
                        .setMaxRequestsPerConnection(Envoy.u32(1))) // a new tunnel, and new SETTINGS, each time
                .build());
        bed.push(Envoy.hboneEndpoints(TestBed.DEFAULT_CLUSTER, app.address(), "spiffe://cluster.local/ns/a/sa/b"));
        for (int i = 0; i < ROUNDS; i++) {
            var response = bed.get("/round-" + i);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(response.body()).startsWith("grpc-echo-v1 GET /round-" + i);
        }
        assertThat(peer.tunnels.get()).isEqualTo(ROUNDS);
        assertThat(app.seen).extracting(TestUpstream.Seen::protocol).containsOnly("HTTP/2");
    }

    @Test
    void aTcpServersGreetingThatCameWithTheConnectAnswerReachesTheClient() throws Exception {
        try (ServerSocket smtp = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> serving = CompletableFuture.runAsync(() -> greetEach(smtp));
            behindPeer((InetSocketAddress) smtp.getLocalSocketAddress());
            bed.push(Envoy.tcpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST));
            bed.push(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build());
            bed.push(Envoy.hboneEndpoints(
                    TestBed.DEFAULT_CLUSTER,
                    (InetSocketAddress) smtp.getLocalSocketAddress(),
                    "spiffe://cluster.local/ns/a/sa/b"));
            for (int i = 0; i < ROUNDS; i++) {
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), bed.listener.port())) {
                    client.setSoTimeout(5000);
                    // the client says nothing: the greeting has to come on its own
                    assertThat(readLine(client.getInputStream()))
                            .as("round " + i)
                            .isEqualTo("220 mail ready");
                    client.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                    assertThat(readLine(client.getInputStream())).isEqualTo("221 bye");
                }
            }
            smtp.close();
            serving.get(5, TimeUnit.SECONDS);
        }
        assertThat(peer.tunnels.get()).isEqualTo(ROUNDS);
    }

    private static void greetEach(ServerSocket smtp) {
        for (int i = 0; i < ROUNDS; i++) {
            try (Socket s = smtp.accept()) {
                s.setSoTimeout(5000);
                s.getOutputStream().write("220 mail ready\r\n".getBytes(StandardCharsets.US_ASCII));
                if ("QUIT".equals(readLine(s.getInputStream()))) {
                    s.getOutputStream().write("221 bye\r\n".getBytes(StandardCharsets.US_ASCII));
                }
            } catch (Exception e) {
                return; // the test's assertions report what went wrong
            }
        }
    }

    private static String readLine(InputStream in) throws java.io.IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }
}
