package io.ambientjava.hbone;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.hbone.client.PooledConnectionInfo;
import io.ambientjava.hbone.testsupport.BlockingTcpServer;
import io.ambientjava.hbone.testsupport.HboneTestBed;
import io.ambientjava.hbone.testsupport.Payload;
import io.ambientjava.hbone.testsupport.Sockets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A thousand concurrent tunnels on one client multiplex over ten connections, each byte-exact. One event loop, as
 * the pool keeps connections per loop (PoolTest covers several).
 */
class ManyStreamsTest {

    private static final int STREAMS = 1000;
    private static final int PAYLOAD = 48 * 1024;

    @Test
    @Timeout(120)
    void thousandConcurrentStreamsShareTenConnections() throws Exception {
        try (var bed = HboneTestBed.builder(true).threads(1).start(); // server: 100 streams, client caps at 100
                var target = BlockingTcpServer.echo()) {
            var outbound = bed.outbound(target.address());
            var established = new CountDownLatch(STREAMS);
            var proceed = new CountDownLatch(1);
            List<Future<Payload.Digest[]>> results = new ArrayList<>();
            try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < STREAMS; i++) {
                    long seed = i;
                    results.add(threads.submit(() -> {
                        try (var socket = Sockets.connect(outbound.address())) {
                            TunnelAbortTest.roundTrip(socket, "hi"); // the tunnel is up end to end
                            established.countDown();
                            if (!proceed.await(60, TimeUnit.SECONDS)) {
                                throw new AssertionError("never told to proceed");
                            }
                            Payload.Digest[] digests = new Payload.Digest[2];
                            Thread writer = Thread.ofVirtual().start(() -> {
                                try {
                                    digests[0] = Payload.write(socket.getOutputStream(), PAYLOAD, seed, 8 * 1024);
                                    socket.shutdownOutput();
                                } catch (Exception e) {
                                    throw new RuntimeException(e);
                                }
                            });
                            digests[1] = Payload.readToEof(socket.getInputStream(), 8 * 1024);
                            writer.join();
                            return digests;
                        }
                    }));
                }
                assertThat(established.await(60, TimeUnit.SECONDS))
                        .as("all %d tunnels established", STREAMS)
                        .isTrue();

                List<PooledConnectionInfo> connections = bed.client.connections();
                assertThat(connections).hasSize(10);
                assertThat(connections).allSatisfy(c -> {
                    assertThat(c.streams()).isEqualTo(100);
                    assertThat(c.maxStreams()).isEqualTo(100);
                });
                assertThat(bed.server.connectionCount()).isEqualTo(10);

                proceed.countDown();
                for (Future<Payload.Digest[]> result : results) {
                    Payload.Digest[] digests = result.get(60, TimeUnit.SECONDS);
                    assertThat(digests[1]).isEqualTo(digests[0]);
                }
            }
        }
    }
}
