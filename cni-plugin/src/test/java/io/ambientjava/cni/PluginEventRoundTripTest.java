package io.ambientjava.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.cni.agent.PluginEventServer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin process and the node agent talking over the agent's Unix socket. */
class PluginEventRoundTripTest {
    @TempDir
    Path dir;

    private final List<String> seen = new CopyOnWriteArrayList<>();
    private volatile CniException failure;

    private final PodEnrollment agentSide = new PodEnrollment() {
        @Override
        public void add(CniPod pod) {
            seen.add("add " + pod);
            if (failure != null) {
                throw failure;
            }
        }

        @Override
        public void remove(CniPod pod) {
            seen.add("remove " + pod);
        }
    };

    private static final CniPod POD =
            new CniPod("uid-1", "web-1", "default", "web-sa", "ctr-1", Path.of("/var/run/netns/pod1"));

    @Test
    void addAndDelReachTheAgent() throws Exception {
        try (PluginEventServer server = PluginEventServer.start(dir.resolve("agent/cni.sock"), agentSide)) {
            AgentClientEnrollment client = new AgentClientEnrollment(server.path());

            client.add(POD);
            client.remove(new CniPod("uid-1", "web-1", "default", "", "ctr-1", null));

            assertThat(seen)
                    .containsExactly(
                            "add " + POD, "remove " + new CniPod("uid-1", "web-1", "default", "", "ctr-1", null));
        }
    }

    @Test
    void theAgentsErrorCodeReachesThePlugin() throws Exception {
        failure = new CniException(CniException.TRY_AGAIN_LATER, "no ztunnel connected", "kept for its snapshot");
        try (PluginEventServer server = PluginEventServer.start(dir.resolve("cni.sock"), agentSide)) {
            AgentClientEnrollment client = new AgentClientEnrollment(server.path());

            assertThatThrownBy(() -> client.add(POD))
                    .isInstanceOfSatisfying(CniException.class, e -> {
                        assertThat(e.code()).isEqualTo(CniException.TRY_AGAIN_LATER);
                        assertThat(e.details()).isEqualTo("kept for its snapshot");
                    })
                    .hasMessage("no ztunnel connected");
        }
    }

    @Test
    void anUnreachableAgentIsTryAgainLater() {
        AgentClientEnrollment client = new AgentClientEnrollment(dir.resolve("nobody.sock"));

        assertThatThrownBy(() -> client.add(POD))
                .isInstanceOfSatisfying(
                        CniException.class, e -> assertThat(e.code()).isEqualTo(CniException.TRY_AGAIN_LATER))
                .hasMessageContaining("node agent not reachable at " + dir.resolve("nobody.sock"));
    }

    @Test
    void garbageToTheAgentGetsADecodingError() throws Exception {
        try (PluginEventServer server = PluginEventServer.start(dir.resolve("cni.sock"), agentSide);
                SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(server.path()));
            channel.write(ByteBuffer.wrap("{not json".getBytes(StandardCharsets.UTF_8)));
            channel.shutdownOutput();
            String reply = new String(Channels.newInputStream(channel).readAllBytes(), StandardCharsets.UTF_8);

            assertThat(reply).contains("\"code\":6").contains("cannot decode plugin event");
            assertThat(seen).isEmpty();
        }
    }

    @Test
    void agentSocketComesFromTheConfiguration() {
        assertThat(CniMain.agentSocket("{\"agentSocket\":\"/run/x/cni.sock\"}")).isEqualTo(Path.of("/run/x/cni.sock"));
        assertThat(CniMain.agentSocket("{}")).isEqualTo(AgentClientEnrollment.DEFAULT_SOCKET);
        assertThat(CniMain.agentSocket("{broken")).isEqualTo(AgentClientEnrollment.DEFAULT_SOCKET);
    }
}
