package io.ambientjava.waypoint.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.waypoint.proxy.DownstreamListener;
import io.ambientjava.waypoint.testsupport.EdgeGateway;
import io.ambientjava.waypoint.testsupport.LocalCommands;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gateway API client certificate validation from the user's YAML ({@code spec.tls.frontend} with a ConfigMap's
 * {@code ca.crt}) through the real istiod-lite to the gateway, with curl and openssl-made certificates: on the
 * {@code AllowValidOnly} port only a client with a certificate of that CA gets an answer; on the
 * {@code AllowInsecureFallback} port a client without one does too, but not one with a certificate of another CA.
 */
@RequiresCommand({"curl", "openssl"})
class GatewayApiClientValidationTest {

    private static final String HOSTNAME = "shop.example.com";

    @TempDir
    Path folder;

    @TempDir
    Path keys;

    private final EventLoopGroup backendLoop = NettyTransport.newEventLoopGroup(1, "shop-backend");
    private EdgeGateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        backendLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private String indented(String file) throws Exception {
        return Files.readString(keys.resolve(file)).strip().replace("\n", "\n    ");
    }

    @Test
    void onlyClientsWithACertificateOfTheConfigMapsCaAreServedWhereTheGatewayAsks() throws Exception {
        LocalCommands.selfSigned(keys, "server", HOSTNAME, "sec1-ec");
        LocalCommands.selfSigned(keys, "clientca", "client-ca", "sec1-ec");
        LocalCommands.issuedBy(keys, "clientca", "alice", "alice");
        LocalCommands.selfSigned(keys, "rogueca", "rogue-ca", "sec1-ec");
        LocalCommands.issuedBy(keys, "rogueca", "mallory", "mallory");
        TestUpstream shop = new TestUpstream(backendLoop, "shop");
        Files.writeString(folder.resolve("00-gateway.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata: {name: default}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: shop, namespace: default}
                spec: {clusterIP: 198.19.0.80, selector: {app: shop}, ports: [{name: http, port: 80, targetPort: %d}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: shop-0, namespace: default, labels: {app: shop}}
                spec: {nodeName: node-a, containers: [{name: app, image: app}]}
                status: {phase: Running, podIP: 127.0.0.1}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: edge, namespace: default}
                spec:
                  gatewayClassName: istio
                  tls:
                    frontend:
                      default:
                        validation:
                          caCertificateRefs: [{group: "", kind: ConfigMap, name: client-ca}]
                          mode: AllowInsecureFallback
                      perPort:
                      - port: 8443
                        tls:
                          validation:
                            caCertificateRefs: [{group: "", kind: ConfigMap, name: client-ca}]
                  listeners:
                  - {name: strict, port: 8443, protocol: HTTPS, tls: {certificateRefs: [{name: edge-cert}]}}
                  - {name: lenient, port: 9443, protocol: HTTPS, tls: {certificateRefs: [{name: edge-cert}]}}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: shop, namespace: default}
                spec:
                  parentRefs: [{name: edge}]
                  rules: [{backendRefs: [{name: shop, port: 80}]}]
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: edge-cert, namespace: default}
                type: kubernetes.io/tls
                stringData:
                  tls.crt: |
                    %s
                  tls.key: |
                    %s
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: client-ca, namespace: default}
                data:
                  ca.crt: |
                    %s
                """.formatted(
                shop.address().getPort(), indented("server.crt"), indented("server.key"), indented("clientca.crt")));
        gateway = EdgeGateway.start(
                folder,
                8443,
                bed -> bed.runtime.config().listenerFor("0.0.0.0", 9443).isPresent());
        String alice = curl(gateway.port(), "--cert", "alice.crt", "--key", "alice.key");
        String nobody = curl(gateway.port());
        try (DownstreamListener lenient = DownstreamListener.plain(
                        gateway.bed.group,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        gateway.bed.runtime,
                        "0.0.0.0",
                        9443)
                .join()) {
            assertThat(alice).as("AllowValidOnly, alice's certificate").startsWith("shop GET /");
            assertThat(nobody).as("AllowValidOnly, no certificate").doesNotContain("shop GET");
            assertThat(curl(lenient.port()))
                    .as("AllowInsecureFallback, no certificate")
                    .startsWith("shop GET /");
            assertThat(curl(lenient.port(), "--cert", "mallory.crt", "--key", "mallory.key"))
                    .as("AllowInsecureFallback, a certificate of another CA")
                    .doesNotContain("shop GET");
        }
        assertThat(gateway.istiodLite.server().pipeline().warnings()).isEmpty();
    }

    private String curl(int port, String... options) throws Exception {
        return LocalCommands.curlHttps(keys, "server", HOSTNAME, port, "/", options);
    }
}
