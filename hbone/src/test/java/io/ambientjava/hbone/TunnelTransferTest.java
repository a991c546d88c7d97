package io.ambientjava.hbone;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.hbone.server.DirectConnector;
import io.ambientjava.hbone.server.InboundConnect;
import io.ambientjava.hbone.testsupport.BlockingTcpServer;
import io.ambientjava.hbone.testsupport.HboneTestBed;
import io.ambientjava.hbone.testsupport.Payload;
import io.ambientjava.hbone.testsupport.Sockets;
import io.ambientjava.hbone.testsupport.TestPki;
import io.ambientjava.hbone.tunnel.TunnelEnd;
import io.ambientjava.hbone.tunnel.TunnelResult;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bytes through a tunnel: exact both ways, half-close, original source forwarded. */
class TunnelTransferTest {

    private static final long BULK_BYTES = Long.getLong("hbone.test.bulkBytes", 1L << 30);

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    @Timeout(30)
    void echoesBytesExactlyBothWays(boolean tls) throws Exception {
        try (var bed = HboneTestBed.builder(tls).start();
                var target = BlockingTcpServer.echo()) {
            var outbound = bed.outbound(target.address());
            Payload.Digest[] digests = echo(outbound.address(), 8 * 1024 * 1024, 42);
            assertThat(digests[1]).isEqualTo(digests[0]);
        }
    }

    @Test
    @Timeout(180)
    void bulkTransferOverMutualTlsIsExact() throws Exception {
        try (var bed = HboneTestBed.tls();
                var target = BlockingTcpServer.echo()) {
            var outbound = bed.outbound(target.address());
            long start = System.nanoTime();
            Payload.Digest[] digests = echo(outbound.address(), BULK_BYTES, 7);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(
                    "HBONE bulk echo: %d MiB each way through mTLS client+server tunnel in %.1f s (%.0f MiB/s each way)%n",
                    BULK_BYTES >> 20, seconds, (BULK_BYTES >> 20) / seconds);
            assertThat(digests[0].bytes()).isEqualTo(BULK_BYTES);
            assertThat(digests[1]).isEqualTo(digests[0]);
            TunnelResult result = outbound.tunnels().peek().join().completion().get(10, TimeUnit.SECONDS);
            assertThat(result.end()).isEqualTo(TunnelEnd.COMPLETED);
            assertThat(result.bytesFromTcp()).isEqualTo(BULK_BYTES);
            assertThat(result.bytesToTcp()).isEqualTo(BULK_BYTES);
        }
    }

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    @Timeout(30)
    void finFromClientEndsTheStreamAndTheReplyStillFlows(boolean tls) throws Exception {
        try (var bed = HboneTestBed.builder(tls).start();
                var target = BlockingTcpServer.readToEofThenReply();
                var outbound = bed.outbound(target.address());
                var socket = Sockets.connect(outbound.address())) {
            Payload.Digest sent = Payload.write(socket.getOutputStream(), 3 * 1024 * 1024 + 17, 3, 32 * 1024);
            socket.shutdownOutput(); // FIN: the target only answers once it sees EOF
            String reply = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(reply).isEqualTo(sent.bytes() + " " + sent.crc32() + "\n");
            TunnelResult result = outbound.tunnels().peek().join().completion().get(5, TimeUnit.SECONDS);
            assertThat(result.end()).isEqualTo(TunnelEnd.COMPLETED);
        }
    }

    @Test
    @Timeout(30)
    void finFromServerSideShutsDownClientOutputWhileClientKeepsSending() throws Exception {
        // The target says hello, closes its sending side, and still reads everything the client sends.
        var received = new LinkedBlockingQueue<Payload.Digest>();
        try (var bed = HboneTestBed.tls();
                var target = new BlockingTcpServer(s -> {
                    s.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
                    s.shutdownOutput();
                    received.add(Payload.readToEof(s.getInputStream(), 16 * 1024));
                });
                var outbound = bed.outbound(target.address());
                var socket = Sockets.connect(outbound.address())) {
            InputStream in = socket.getInputStream();
            assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("hello\n"); // then EOF
            Payload.Digest sent = Payload.write(socket.getOutputStream(), 2 * 1024 * 1024, 9, 16 * 1024);
            socket.shutdownOutput();
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo(sent);
            assertThat(outbound.tunnels()
                            .peek()
                            .join()
                            .completion()
                            .get(5, TimeUnit.SECONDS)
                            .end())
                    .isEqualTo(TunnelEnd.COMPLETED);
        }
    }

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    @Timeout(60)
    void largeReplyAfterClientFinReachesAReaderThatStartsLate(boolean tls) throws Exception {
        // After the client's FIN the downstream socket is half-closed; the reply then has to wait for socket
        // buffer space (EPOLLOUT) on that half-closed socket, which must keep working.
        long replyBytes = 32L * 1024 * 1024;
        Payload.Digest expected = Payload.write(java.io.OutputStream.nullOutputStream(), replyBytes, 5, 64 * 1024);
        try (var bed = HboneTestBed.builder(tls).start();
                var target = new BlockingTcpServer(s -> {
                    s.getInputStream().readAllBytes();
                    Payload.write(s.getOutputStream(), replyBytes, 5, 64 * 1024);
                    s.shutdownOutput();
                });
                var outbound = bed.outbound(target.address());
                var socket = Sockets.connect(outbound.address())) {
            socket.getOutputStream().write("request".getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
            Thread.sleep(1500); // let every buffer on the way fill up
            assertThat(Payload.readToEof(socket.getInputStream(), 64 * 1024)).isEqualTo(expected);
            assertThat(outbound.tunnels()
                            .peek()
                            .join()
                            .completion()
                            .get(5, TimeUnit.SECONDS)
                            .end())
                    .isEqualTo(TunnelEnd.COMPLETED);
        }
    }

    @Test
    @Timeout(30)
    void connectorSeesForwardedOriginalSourceAndPeerIdentity() throws Exception {
        var seen = new CompletableFuture<InboundConnect>();
        var direct = new DirectConnector();
        try (var target = BlockingTcpServer.echo();
                var bed = HboneTestBed.builder(true)
                        .connector(request -> {
                            seen.complete(request);
                            return direct.connect(request);
                        })
                        .start();
                var outbound = bed.outbound(target.address());
                var socket = Sockets.connect(outbound.address())) {
            InboundConnect request = seen.get(10, TimeUnit.SECONDS);
            var local = (InetSocketAddress) socket.getLocalSocketAddress();
            assertThat(request.forwarded()).contains("for=\"127.0.0.1:" + local.getPort() + "\"");
            assertThat(request.connection().peerIdentity()).contains(TestPki.CLIENT);
            assertThat(request.authority().socketAddress()).isEqualTo(target.address());
            assertThat(request.baggage()).isEqualTo(Optional.empty());
        }
    }

    /** Sends {@code total} bytes through {@code address} while reading the echo; returns [sent, received]. */
    static Payload.Digest[] echo(InetSocketAddress address, long total, long seed) throws Exception {
        try (var socket = Sockets.connect(address)) {
            Future<Payload.Digest> sent;
            try (var writer = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                sent = writer.submit(() -> {
                    Payload.Digest d = Payload.write(socket.getOutputStream(), total, seed, 256 * 1024);
                    socket.shutdownOutput();
                    return d;
                });
                Payload.Digest received = Payload.readToEof(socket.getInputStream(), 256 * 1024);
                return new Payload.Digest[] {sent.get(), received};
            }
        } catch (IOException e) {
            throw new AssertionError("echo through " + address + " failed", e);
        }
    }
}
