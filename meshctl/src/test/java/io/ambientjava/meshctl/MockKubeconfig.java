package io.ambientjava.meshctl;

import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A kubeconfig that points meshctl at a fabric8 mock API server on loopback. */
public final class MockKubeconfig {

    private MockKubeconfig() {}

    public static Path write(Path dir, KubernetesMockServer server) throws IOException {
        String url = "http://127.0.0.1:" + server.getPort();
        return Files.writeString(dir.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster:
                    server: %s
                contexts:
                - name: mock
                  context:
                    cluster: mock
                    user: mock
                    namespace: default
                current-context: mock
                users:
                - name: mock
                  user:
                    token: test-token
                """.formatted(url));
    }

    /** A kubeconfig whose server refuses connections (a port nothing listens on). */
    public static Path unreachable(Path dir) throws IOException {
        int port;
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        return Files.writeString(dir.resolve("kubeconfig-unreachable"), """
                apiVersion: v1
                kind: Config
                clusters:
                - name: gone
                  cluster:
                    server: http://127.0.0.1:%d
                contexts:
                - name: gone
                  context:
                    cluster: gone
                    user: gone
                current-context: gone
                users:
                - name: gone
                  user:
                    token: test-token
                """.formatted(port));
    }
}
