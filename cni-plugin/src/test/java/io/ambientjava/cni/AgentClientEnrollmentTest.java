package io.ambientjava.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentClientEnrollmentTest {
    @TempDir
    Path dir;

    private final CniPod pod = new CniPod("uid-1", "web", "shop", "", "ctr", Path.of("/var/run/netns/p"));

    @Test
    void addWithoutAnAgentIsTryAgainLaterNamingTheSocket() {
        AgentClientEnrollment client = new AgentClientEnrollment(dir.resolve("agent.sock"));

        assertThatThrownBy(() -> client.add(pod)).isInstanceOfSatisfying(CniException.class, e -> {
            assertThat(e.code()).isEqualTo(CniException.TRY_AGAIN_LATER);
            assertThat(e.getMessage()).isEqualTo("node agent not reachable at " + dir.resolve("agent.sock"));
            assertThat(e.details()).contains("is the ambient-java node agent running on this node?");
        });
    }

    @Test
    void delWithoutAnAgentSucceedsWithANoteOnStderr() {
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        AgentClientEnrollment client = new AgentClientEnrollment(
                dir.resolve("agent.sock"), new PrintStream(stderr, true, StandardCharsets.UTF_8));

        client.remove(pod);

        assertThat(stderr.toString(StandardCharsets.UTF_8))
                .contains("DEL of pod shop/web", "node agent not reachable", "the agent cleans up when it is back");
    }
}
