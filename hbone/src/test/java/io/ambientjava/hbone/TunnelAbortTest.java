package io.ambientjava.hbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.hbone.testsupport.BlockingTcpServer;
import io.ambientjava.hbone.testsupport.HboneTestBed;
import io.ambientjava.hbone.testsupport.Sockets;
import io.ambientjava.hbone.tunnel.TunnelEnd;
import io.ambientjava.hbone.tunnel.TunnelResult;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A reset on either TCP side resets the stream and then the other TCP side; a lost connection resets too. */
class TunnelAbortTest {

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    @Timeout(30)
    void clientResetResetsTheTarget(boolean tls) throws Exception {
        try (var bed = HboneTestBed.builder(tls).start();
                var target = BlockingTcpServer.echo();
                var outbound = bed.outbound(target.address());
                var socket = Sockets.connect(outbound.address())) {
            roundTrip(socket, "ping");

            socket.setSoLinger(true, 0);
            socket.close(); // RST

            BlockingTcpServer.Outcome outcome = target.outcomes().poll(10, TimeUnit.SECONDS);
            assertThat(outcome).isNotNull();
            assertThat(outcome.wasReset()).as("target saw %s", outcome.error()).isTrue();
            TunnelResult result = outbound.tunnels().peek().join().completion().get(5, TimeUnit.SECONDS);
            assertThat(result.end()).isEqualTo(TunnelEnd.TCP_ABORTED);
        }
    }

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    @Timeout(30)
    void targetResetResetsTheClient(boolean tls) throws Exception {
        try (var bed = HboneTestBed.builder(tls).start();
                var target = new BlockingTcpServer(s -> {
                    InputStream in = s.getInputStream();
                    s.getOutputStream().write(in.readNBytes(4)); // echo "ping" once
                    in.readNBytes(4); // then, on "boom", reset
                    s.setSoLinger(true, 0);
                    s.close();
                });
                var outbound = bed.outbound(target.address());
                var socket = Sockets.connect(outbound.address())) {
            roundTrip(socket, "ping");
            socket.getOutputStream().write("boom".getBytes(StandardCharsets.US_ASCII));

            assertThatThrownBy(() -> socket.getInputStream().read())
                    .isInstanceOf(SocketException.class)
                    .hasMessageContaining("reset");
            TunnelResult result = outbound.tunnels().peek().join().completion().get(5, TimeUnit.SECONDS);
            assertThat(result.end()).isEqualTo(TunnelEnd.STREAM_ABORTED);
            assertThat(result.detail()).hasValueSatisfying(d -> assertThat(d).contains("reset by peer"));
        }
    }

    @Test
    @Timeout(30)
    void losingTheHboneConnectionResetsTheClient() throws Exception {
        try (var bed = HboneTestBed.tls();
                var target = BlockingTcpServer.echo();
                var outbound = bed.outbound(target.address());
                var socket = Sockets.connect(outbound.address())) {
            roundTrip(socket, "ping");

            bed.server.close(); // every HBONE connection goes away

            assertThatThrownBy(() -> socket.getInputStream().read())
                    .isInstanceOf(SocketException.class)
                    .hasMessageContaining("reset");
            assertThat(outbound.tunnels()
                            .peek()
                            .join()
                            .completion()
                            .get(5, TimeUnit.SECONDS)
                            .end())
                    .isEqualTo(TunnelEnd.STREAM_ABORTED);
        }
    }

    @Test
    @Timeout(30)
    void localAbortResetsBothSides() throws Exception {
        try (var bed = HboneTestBed.tls();
                var target = BlockingTcpServer.echo();
                var outbound = bed.outbound(target.address());
                var socket = Sockets.connect(outbound.address())) {
            roundTrip(socket, "ping");

            outbound.tunnels().peek().join().abort();

            assertThatThrownBy(() -> socket.getInputStream().read())
                    .isInstanceOf(SocketException.class)
                    .hasMessageContaining("reset");
            BlockingTcpServer.Outcome outcome = target.outcomes().poll(10, TimeUnit.SECONDS);
            assertThat(outcome.wasReset()).as("target saw %s", outcome.error()).isTrue();
            assertThat(outbound.tunnels()
                            .peek()
                            .join()
                            .completion()
                            .get(5, TimeUnit.SECONDS)
                            .end())
                    .isEqualTo(TunnelEnd.ABORTED_LOCALLY);
        }
    }

    static void roundTrip(Socket socket, String text) throws Exception {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        socket.getOutputStream().write(bytes);
        assertThat(new String(socket.getInputStream().readNBytes(bytes.length), StandardCharsets.US_ASCII))
                .isEqualTo(text);
    }
}
