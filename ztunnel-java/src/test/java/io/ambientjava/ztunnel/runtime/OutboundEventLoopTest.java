package io.ambientjava.ztunnel.runtime;

import static io.ambientjava.ztunnel.runtime.MeshTrafficTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.identity.manager.LocalCaCertificateProvider;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.CommandResult;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.ztunnel.testsupport.TestMesh;
import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A pod's outbound tunnels ride HBONE connections on the event loop that accepted the pod's connection, so relaying
 * never hands bytes to another thread: with two loops, one client pod's tunnels to one server use two connections.
 */
@RequiresRoot
@RequiresCommand({"ip", "nft", "ss"})
class OutboundEventLoopTest {

    private static final int LOOPS = 2;
    private static final int TUNNELS = 8;

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.withNodes(2);

    @Test
    void tunnelsFromEachEventLoopShareAConnectionOfThatLoop() throws Exception {
        TestMesh mesh = new TestMesh(
                net, new LocalCaCertificateProvider(TestMesh.ca()), config -> config.withEventLoopThreads(LOOPS));
        Pod server = mesh.meshPod(2, "server", "default", "server");
        server.startEchoServer(8080);
        Pod client = mesh.meshPod(1, "client", "default", "client");

        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < TUNNELS; i++) { // accepted round robin over the loops
                Socket socket = client.connect(server.address(8080));
                sockets.add(socket);
                ping(socket, "tunnel " + i);
            }
            assertThat(hboneConnectionsInto(server))
                    .as("one HBONE connection per event loop, each carrying the tunnels of its loop")
                    .isEqualTo(LOOPS);
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    /** Established connections to ztunnel's HBONE port inside the pod's network namespace. */
    private static int hboneConnectionsInto(Pod pod) {
        CommandResult ss = pod.exec("ss", "-Htn", "state", "established", "( sport = :15008 )");
        assertThat(ss.exitCode()).as("ss: %s", ss.stderr()).isZero();
        return (int) ss.stdout().lines().filter(line -> !line.isBlank()).count();
    }

    private static void ping(Socket socket, String text) throws IOException {
        socket.setSoTimeout((int) TestMesh.WAIT.toMillis());
        socket.getOutputStream().write(bytes(text));
        assertThat(socket.getInputStream().readNBytes(text.length())).isEqualTo(bytes(text));
    }
}
