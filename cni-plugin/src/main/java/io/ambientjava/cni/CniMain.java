package io.ambientjava.cni;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * The plugin binary the container runtime runs (through the {@code ambient-cni} launcher): CNI environment and
 * stdin in, result or error JSON out. The node agent's socket comes from the network configuration's {@code
 * agentSocket}, else {@link AgentClientEnrollment#DEFAULT_SOCKET}. Loads no third-party classes, so the JVM
 * starts fast.
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
            Map<String, Object> config = JsonText.parseObject(stdin);
            String socket = JsonText.string(config, "agentSocket");
            if (socket != null && !socket.isBlank()) {
                return Path.of(socket);
            }
        } catch (RuntimeException e) {
            // Reported by CniPlugin with the spec's decoding error.
        }
        return AgentClientEnrollment.DEFAULT_SOCKET;
    }
}
