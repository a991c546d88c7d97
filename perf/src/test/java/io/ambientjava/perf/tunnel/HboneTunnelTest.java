package io.ambientjava.perf.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.perf.load.EchoSinkServer;
import io.ambientjava.perf.net.EpollGroups;
import io.netty.channel.EventLoopGroup;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HBONE tunnel must carry bytes faithfully, or its figures mean nothing. */
class HboneTunnelTest {

    private EventLoopGroup serverGroup;
    private EchoSinkServer server;

    @BeforeEach
    void startServer() throws Exception {
        serverGroup = EpollGroups.create("test-server", 1);
        server = EchoSinkServer.start(serverGroup);
    }

    @AfterEach
    void stopServer() {
        server.close();
        EpollGroups.shutdown(serverGroup);
    }

    @Test
    void echoesEveryByteThroughBothEnds() throws Exception {
        byte[] payload = new byte[1 << 20];
        ThreadLocalRandom.current().nextBytes(payload);

        try (HboneTunnel tunnel = HboneTunnel.start(server.address(), BenchmarkMesh.create(), 1);
                Socket socket = new Socket(
                        tunnel.entryAddress().getAddress(),
                        tunnel.entryAddress().getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    out.write(EchoSinkServer.MODE_ECHO);
                    out.write(payload);
                    out.flush();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            byte[] echoed = new byte[payload.length];
            new DataInputStream(socket.getInputStream()).readFully(echoed);
            writer.join(10_000);

            assertThat(echoed).isEqualTo(payload);
        }
    }

    @Test
    void countsSinkBytesAfterTheModeByte() throws Exception {
        try (HboneTunnel tunnel = HboneTunnel.start(server.address(), BenchmarkMesh.create(), 1);
                Socket socket = new Socket(
                        tunnel.entryAddress().getAddress(),
                        tunnel.entryAddress().getPort())) {
            socket.getOutputStream().write(EchoSinkServer.MODE_SINK);
            socket.getOutputStream().write(new byte[100_000]);
            socket.getOutputStream().flush();

            long deadline = System.nanoTime() + 10_000_000_000L;
            while (server.sinkBytes() < 100_000 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(server.sinkBytes()).isEqualTo(100_000);
        }
    }
}
