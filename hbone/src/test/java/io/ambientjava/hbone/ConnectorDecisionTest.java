package io.ambientjava.hbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.hbone.client.HboneRefusedException;
import io.ambientjava.hbone.server.ConnectDecision;
import io.ambientjava.hbone.server.DirectConnector;
import io.ambientjava.hbone.server.HboneConnector;
import io.ambientjava.hbone.testsupport.BlockingTcpServer;
import io.ambientjava.hbone.testsupport.CapturedLogs;
import io.ambientjava.hbone.testsupport.HboneTestBed;
import io.ambientjava.hbone.testsupport.Sockets;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The connector's refusals reach the client with status and reason, and leave the connection's other streams be. */
@Timeout(30)
class ConnectorDecisionTest {

    /** Allows everything except port 9 (401), port 10 (403), port 11 (throws); closed ports fail to dial (503). */
    private static final HboneConnector POLICY = new HboneConnector() {
        private final DirectConnector direct = new DirectConnector();

        @Override
        public java.util.concurrent.CompletionStage<ConnectDecision> connect(
                io.ambientjava.hbone.server.InboundConnect request) {
            return switch (request.authority().port()) {
                case 9 ->
                    CompletableFuture.completedFuture(ConnectDecision.unauthorized("policy ns-b/deny-all denies "
                            + request.connection().peerIdentity().orElseThrow()));
                case 10 -> CompletableFuture.completedFuture(ConnectDecision.forbidden("port 10 is off limits"));
                case 11 -> throw new IllegalStateException("connector bug");
                default -> direct.connect(request);
            };
        }
    };

    @Test
    void refusalsCarryStatusAndReasonAndTheConnectionStaysUseful() throws Exception {
        try (var bed = HboneTestBed.builder(true).connector(POLICY).start();
                var target = BlockingTcpServer.echo();
                var outbound = bed.outbound(target.address());
                var socket = Sockets.connect(outbound.address())) {
            TunnelAbortTest.roundTrip(socket, "before");

            assertRefused(bed, 9, 401, "policy ns-b/deny-all denies spiffe://cluster.local/ns/ns-a/sa/client");
            assertRefused(bed, 10, 403, "port 10 is off limits");
            assertRefused(bed, 11, 503, "connector failed: java.lang.IllegalStateException: connector bug");
            int closed = closedPort();
            assertRefused(bed, closed, 503, "connecting to 127.0.0.1:" + closed + " failed");

            TunnelAbortTest.roundTrip(socket, "after"); // same pooled connection, still fine
            assertThat(bed.client.connections()).hasSize(1);
            assertThat(CapturedLogs.messages("io.ambientjava.hbone.server"))
                    .anySatisfy(m -> assertThat(m).contains("refused with 403: port 10 is off limits"));
        }
    }

    @Test
    void aRefusedTunnelResetsTheLocalConnection() throws Exception {
        try (var bed = HboneTestBed.builder(true).connector(POLICY).start();
                var outbound = bed.outbound(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9));
                var socket = Sockets.connect(outbound.address())) {
            assertThatThrownBy(() -> socket.getInputStream().read())
                    .isInstanceOf(SocketException.class)
                    .hasMessageContaining("reset");
            assertThatThrownBy(() -> outbound.tunnels().peek().join())
                    .cause()
                    .isInstanceOf(HboneRefusedException.class)
                    .hasMessageContaining("401");
        }
    }

    private static void assertRefused(HboneTestBed bed, int port, int status, String reason) throws Exception {
        var request = bed.request(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        assertThatThrownBy(() -> bed.client.connect(request).get(10, TimeUnit.SECONDS))
                .cause()
                .isInstanceOfSatisfying(HboneRefusedException.class, e -> {
                    assertThat(e.status()).isEqualTo(status);
                    assertThat(e.reason()).hasValueSatisfying(r -> assertThat(r).contains(reason));
                });
    }

    private static int closedPort() throws Exception {
        try (var probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }
}
