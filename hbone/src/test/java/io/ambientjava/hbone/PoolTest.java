package io.ambientjava.hbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ambientjava.hbone.client.ClientSecurity;
import io.ambientjava.hbone.client.ConnectRequest;
import io.ambientjava.hbone.client.HboneClientConfig;
import io.ambientjava.hbone.client.HboneConnectException;
import io.ambientjava.hbone.client.HboneDialer;
import io.ambientjava.hbone.client.HboneStream;
import io.ambientjava.hbone.client.PooledConnectionInfo;
import io.ambientjava.hbone.testsupport.BlockingTcpServer;
import io.ambientjava.hbone.testsupport.HboneTestBed;
import io.ambientjava.hbone.testsupport.Sockets;
import io.ambientjava.hbone.testsupport.TestPki;
import io.ambientjava.hbone.tunnel.TunnelEnd;
import io.ambientjava.identity.SpiffeId;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client's connection pool: sharing, limits, idle close, GOAWAY, identity checks, keys. */
@Timeout(30)
class PoolTest {

    @Test
    void sequentialStreamsReuseOneConnection() throws Exception {
        try (var bed = HboneTestBed.tls();
                var target = BlockingTcpServer.discard()) {
            for (int i = 0; i < 5; i++) {
                HboneStream stream =
                        bed.client.connect(bed.request(target.address())).get(10, TimeUnit.SECONDS);
                assertThat(stream.peerIdentity()).contains(TestPki.SERVER);
                stream.reset();
            }
            assertThat(bed.client.connections()).hasSize(1);
            assertThat(bed.server.connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void peerStreamLimitOpensMoreConnections() throws Exception {
        try (var bed = HboneTestBed.builder(true)
                        .serverConfig(c -> c.withHttp2(c.http2().withMaxConcurrentStreams(2)))
                        .start();
                var target = BlockingTcpServer.discard()) {
            List<CompletableFuture<HboneStream>> streams = new ArrayList<>();
            for (int i = 0; i < 5; i++) { // all reserved before the peer's SETTINGS say "2"
                streams.add(bed.client.connect(bed.request(target.address())));
            }
            for (var stream : streams) {
                stream.get(10, TimeUnit.SECONDS);
            }
            List<PooledConnectionInfo> connections = bed.client.connections();
            assertThat(connections).hasSize(3);
            assertThat(connections).allSatisfy(c -> assertThat(c.maxStreams()).isEqualTo(2));
            assertThat(connections.stream()
                            .mapToInt(PooledConnectionInfo::streams)
                            .sum())
                    .isEqualTo(5);
            streams.forEach(s -> s.join().reset());
        }
    }

    @Test
    void aRequestForAnEventLoopGetsAConnectionOnThatLoop() throws Exception {
        try (var bed = HboneTestBed.builder(true)
                        .threads(2)
                        .serverConfig(c -> c.withHttp2(c.http2().withMaxConcurrentStreams(2)))
                        .start();
                var target = BlockingTcpServer.discard()) {
            EventLoop first = bed.group.next();
            EventLoop second = bed.group.next();
            assertThat(second).isNotSameAs(first);
            List<HboneStream> streams = new ArrayList<>();
            for (EventLoop loop : List.of(first, second, first, second, first)) {
                HboneStream stream =
                        bed.client.connect(bed.request(target.address()), loop).get(10, TimeUnit.SECONDS);
                assertThat(stream.channel().eventLoop()).isSameAs(loop);
                streams.add(stream);
            }
            // first: 3 streams over connections of 2; second: 2 streams on one connection
            assertThat(bed.client.connections())
                    .extracting(PooledConnectionInfo::streams)
                    .containsExactlyInAnyOrder(2, 1, 2);

            // Without a loop any connection with room will do.
            streams.add(bed.client.connect(bed.request(target.address())).get(10, TimeUnit.SECONDS));
            assertThat(bed.client.connections())
                    .extracting(PooledConnectionInfo::streams)
                    .containsExactlyInAnyOrder(2, 2, 2);

            // A loop of another group cannot carry the pool's connections: it is ignored, not dialed on.
            EventLoopGroup other = NettyTransport.newEventLoopGroup(1, "pool-test-other");
            try {
                HboneStream stream = bed.client
                        .connect(bed.request(target.address()), other.next())
                        .get(10, TimeUnit.SECONDS);
                assertThat(stream.channel().eventLoop().parent()).isSameAs(bed.group);
                streams.add(stream);
            } finally {
                other.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
            assertThat(bed.client.connections()).hasSize(4);
            streams.forEach(HboneStream::reset);
        }
    }

    @Test
    void idleConnectionsAreClosed() throws Exception {
        try (var bed = HboneTestBed.builder(true)
                        .clientConfig(HboneClientConfig.defaults().withIdleTimeout(Duration.ofMillis(300)))
                        .start();
                var target = BlockingTcpServer.discard()) {
            HboneStream stream =
                    bed.client.connect(bed.request(target.address())).get(10, TimeUnit.SECONDS);
            Thread.sleep(500); // busy connections are not idle
            assertThat(bed.client.connections()).hasSize(1);
            stream.reset();
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> bed.client.connections().isEmpty());
            await().atMost(Duration.ofSeconds(5)).until(() -> bed.server.connectionCount() == 0);
        }
    }

    @Test
    void goAwayTakesTheConnectionOutOfThePoolButLetsTunnelsFinish() throws Exception {
        try (var bed = HboneTestBed.tls();
                var target = BlockingTcpServer.echo();
                var outbound = bed.outbound(target.address());
                var socket = Sockets.connect(outbound.address())) {
            TunnelAbortTest.roundTrip(socket, "before");

            CompletableFuture<Void> drained = bed.server.drain(Duration.ofSeconds(20));

            await().atMost(Duration.ofSeconds(5))
                    .until(() -> bed.client.connections().isEmpty());
            TunnelAbortTest.roundTrip(socket, "still flowing after GOAWAY");
            assertThat(drained).isNotDone();

            socket.shutdownOutput();
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
            assertThat(outbound.tunnels()
                            .peek()
                            .join()
                            .completion()
                            .get(5, TimeUnit.SECONDS)
                            .end())
                    .isEqualTo(TunnelEnd.COMPLETED);
            drained.get(5, TimeUnit.SECONDS); // the server closed the connection once its last stream ended
            assertThat(bed.server.connectionCount()).isZero();
        }
    }

    @Test
    void unexpectedPeerIdentityFailsAndIsNotPooled() throws Exception {
        try (var bed = HboneTestBed.tls();
                var target = BlockingTcpServer.discard()) {
            SpiffeId expected = new SpiffeId(TestPki.TRUST_DOMAIN, "ns-b", "someone-else");
            ConnectRequest base = bed.request(target.address());
            var request = new ConnectRequest(
                    base.security(), Set.of(expected), base.peer(), base.authority(), base.headers(), base.dialer());

            assertThatThrownBy(() -> bed.client.connect(request).join())
                    .isInstanceOf(CompletionException.class)
                    .cause()
                    .isInstanceOf(HboneConnectException.class)
                    .hasMessageContaining(TestPki.SERVER.toString())
                    .hasMessageContaining(expected.toString());
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> bed.client.connections().isEmpty());
        }
    }

    @Test
    void poolKeySeparatesSourceIdentitiesAndDialers() throws Exception {
        try (var bed = HboneTestBed.tls();
                var target = BlockingTcpServer.discard()) {
            SpiffeId other = new SpiffeId(TestPki.TRUST_DOMAIN, "ns-a", "other");
            var otherContext = TestPki.mesh().clientContext(other);
            ConnectRequest asClient = bed.request(target.address());
            ConnectRequest asOther = new ConnectRequest(
                    ClientSecurity.mutualTls(other, () -> otherContext),
                    asClient.expectedPeerIdentities(),
                    asClient.peer(),
                    asClient.authority(),
                    asClient.headers(),
                    asClient.dialer());
            ConnectRequest fromLoopback =
                    asClient.withDialer(HboneDialer.fromLocalAddress(InetAddress.getLoopbackAddress()));

            List<HboneStream> streams = new ArrayList<>();
            for (ConnectRequest r : List.of(asClient, asOther, fromLoopback, asClient, asOther, fromLoopback)) {
                streams.add(bed.client.connect(r).get(10, TimeUnit.SECONDS));
            }
            assertThat(bed.client.connections())
                    .extracting(PooledConnectionInfo::streams)
                    .containsExactlyInAnyOrder(2, 2, 2);
            assertThat(streams.get(1).peerIdentity()).contains(TestPki.SERVER);
            streams.forEach(HboneStream::reset);
        }
    }

    @Test
    void unreachablePeerFailsClearly() throws Exception {
        int closedPort;
        try (var probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        try (var bed = HboneTestBed.tls()) {
            ConnectRequest base = bed.request(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9));
            var request = new ConnectRequest(
                    base.security(),
                    base.expectedPeerIdentities(),
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort),
                    base.authority(),
                    base.headers(),
                    base.dialer());
            assertThatThrownBy(() -> bed.client.connect(request).join())
                    .cause()
                    .isInstanceOf(HboneConnectException.class)
                    .hasMessageContaining("cannot connect to HBONE peer")
                    .hasMessageContaining(String.valueOf(closedPort));
            assertThat(bed.client.connections()).isEmpty();
        }
    }
}
