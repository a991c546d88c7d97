package io.ambientjava.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The plugin binary the container runtime runs: CNI environment and stdin in, result or error JSON out. The
 * node agent's socket comes from the network configuration's {@code agentSocket}, else
 * {@link AgentClientEnrollment#DEFAULT_SOCKET}.
 */
public final class CniMain {
    private CniMain() {}

    public static void main(String[] args) throws IOException {
        String stdin = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        CniPlugin plugin = new CniPlugin(new AgentClientEnrollment(agentSocket(stdin)));
        CniPlugin.Outcome outcome = plugin.execute(System.getenv(), stdin);
        System.out.print(outcome.stdout());
        System.out.flush();
        System.exit(outcome.exitCode());
    }

    /** The configured agent socket; a configuration that does not parse is left for the plugin to report. */
    static Path agentSocket(String stdin) {
        try {
            JsonNode config = new ObjectMapper().readTree(stdin);
            JsonNode socket = config == null ? null : config.get("agentSocket");
            if (socket != null && socket.isTextual() && !socket.asText().isBlank()) {
                return Path.of(socket.asText());
            }
        } catch (IOException | RuntimeException e) {
            // Reported by CniPlugin with the spec's decoding error.
        }
        return AgentClientEnrollment.DEFAULT_SOCKET;
    }
}
