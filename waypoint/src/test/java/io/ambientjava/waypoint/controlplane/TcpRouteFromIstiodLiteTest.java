package io.ambientjava.waypoint.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.waypoint.config.ListenerConfig;
import io.ambientjava.waypoint.testsupport.EdgeGateway;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Gateway API {@code TCPRoute} from the user's YAML through the real istiod-lite to the ingress gateway, with a
 * server that speaks first (as MySQL or SMTP do): its greeting reaches a client that has sent nothing, so the TCP
 * listener does not wait for a TLS client hello; then bytes flow both ways. The service's DestinationRule gives the
 * TCP proxy its idle timeout.
 */
class TcpRouteFromIstiodLiteTest {

    @TempDir
    Path folder;

    private EdgeGateway gateway;
    private ServerSocket backend;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private static final String SERVICE = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: default}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: db, namespace: default}
            spec: {clusterIP: 198.19.0.70, selector: {app: db}, ports: [{name: tcp-db, port: 5432, targetPort: %d}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: db-0, namespace: default, labels: {app: db}}
            spec: {nodeName: node-a, containers: [{name: app, image: app}]}
            status: {phase: Running, podIP: 127.0.0.1}
            ---
            """;

    /** A Gateway API Gateway with a TCP listener, a TCPRoute to the service, and its DestinationRule. */
    private static final String GATEWAY_API = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: edge, namespace: default}
            spec:
              gatewayClassName: istio
              listeners: [{name: db, port: 5432, protocol: TCP}]
            ---
            apiVersion: gateway.networking.k8s.io/v1alpha2
            kind: TCPRoute
            metadata: {name: db, namespace: default}
            spec:
              parentRefs: [{name: edge, sectionName: db}]
              rules: [{backendRefs: [{name: db, port: 5432}]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: db, namespace: default}
            spec:
              host: db
              trafficPolicy: {connectionPool: {tcp: {idleTimeout: 42m}}}
            """;

    /** The same service at an Istio Gateway's TCP server, routed by a VirtualService {@code tcp} route. */
    private static final String ISTIO_GATEWAY = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: edge, namespace: default}
            spec:
              selector: {istio: ingressgateway}
              servers: [{port: {number: 31400, name: tcp, protocol: TCP}, hosts: ["*"]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: db, namespace: default}
            spec:
              hosts: ["*"]
              gateways: [edge]
              tcp:
              - match: [{port: 31400}]
                route: [{destination: {host: db, port: {number: 5432}}}]
            """;

    @Test
    void anIstioGatewayTcpServerCarriesAServerFirstProtocolToTheVirtualServiceDestination() throws Exception {
        startBackend();
        Files.writeString(folder.resolve("00-config.yaml"), SERVICE.formatted(backend.getLocalPort()) + ISTIO_GATEWAY);
        gateway = EdgeGateway.start(
                folder,
                31400,
                bed -> bed.runtime.config().listenerFor("0.0.0.0", 31400).isPresent());
        greetingThenEcho(gateway.port());
    }

    @Test
    void aServerFirstProtocolWorksThroughATcpRouteAndTheIdleTimeoutComesFromTheDestinationRule() throws Exception {
        startBackend();
        Files.writeString(folder.resolve("00-config.yaml"), SERVICE.formatted(backend.getLocalPort()) + GATEWAY_API);
        gateway = EdgeGateway.start(
                folder,
                5432,
                bed -> bed.runtime.config().listenerFor("0.0.0.0", 5432).isPresent());

        var kind = gateway.bed
                .runtime
                .config()
                .listenerFor("0.0.0.0", 5432)
                .orElseThrow()
                .kind();
        assertThat(kind).isInstanceOf(ListenerConfig.Tcp.class);
        assertThat(((ListenerConfig.Tcp) kind).idleTimeout()).isEqualTo(Optional.of(Duration.ofMinutes(42)));
        greetingThenEcho(gateway.port());
    }

    private static void greetingThenEcho(int port) throws Exception {
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
            client.setSoTimeout(5000);
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
            assertThat(in.readLine())
                    .as("the server's greeting, before the client sends a byte")
                    .isEqualTo("220 db ready");
            client.getOutputStream().write("SELECT 1\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).isEqualTo("echo SELECT 1");
        }
    }

    /** A server that greets first, then echoes each line, for one client after another until closed. */
    private void startBackend() throws Exception {
        backend = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!backend.isClosed()) {
                try (Socket s = backend.accept()) {
                    s.setSoTimeout(10_000);
                    OutputStream out = s.getOutputStream();
                    out.write("220 db ready\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    BufferedReader in =
                            new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                    String line;
                    while ((line = in.readLine()) != null) {
                        out.write(("echo " + line + "\n").getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                } catch (Exception ignored) {
                    // closed by the test, or the client went away: the client's assertions tell
                }
            }
        });
    }
}
