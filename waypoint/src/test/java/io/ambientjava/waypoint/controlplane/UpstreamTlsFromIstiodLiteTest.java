package io.ambientjava.waypoint.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.waypoint.testsupport.EdgeGateway;
import io.ambientjava.waypoint.testsupport.LocalCommands;
import io.ambientjava.waypoint.testsupport.OpensslServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS origination from the user's YAML: a DestinationRule with {@code tls.mode: MUTUAL}, a {@code credentialName}
 * Secret (client certificate, key and the server's CA), {@code sni} and {@code subjectAltNames}, through the real
 * istiod-lite to a gateway, which curl calls over plain HTTP and which calls {@code openssl s_server} (a backend
 * outside the mesh that demands a client certificate) over mutual TLS.
 */
@RequiresCommand({"curl", "openssl"})
class UpstreamTlsFromIstiodLiteTest {

    private static final String SERVER_NAME = "ledger.example.com";

    @TempDir
    Path folder;

    @TempDir
    Path keys;

    private EdgeGateway gateway;
    private OpensslServer backend;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private String pemIndented(String file) throws Exception {
        return Files.readString(keys.resolve(file)).strip().replace("\n", "\n    ");
    }

    @Test
    void curlReachesABackendThatDemandsAClientCertificateThroughTheGateway() throws Exception {
        LocalCommands.selfSigned(keys, "ca", "ledger-ca", "sec1-ec");
        LocalCommands.issuedBy(keys, "ca", "ledger", SERVER_NAME, "DNS:" + SERVER_NAME);
        LocalCommands.issuedBy(keys, "ca", "edge", "edge-gateway");
        backend = OpensslServer.start(
                keys, "-cert", "ledger.crt", "-key", "ledger.key", "-Verify", "1", "-CAfile", "ca.crt");
        Files.writeString(folder.resolve("00-mesh.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata: {name: default}
                ---
                apiVersion: v1
                kind: Namespace
                metadata: {name: outside}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: ledger, namespace: outside}
                spec: {clusterIP: 198.19.0.70, selector: {app: ledger}, ports: [{name: https, port: 443, targetPort: %d}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: ledger-0, namespace: outside, labels: {app: ledger}}
                spec: {nodeName: node-a, containers: [{name: app, image: app}]}
                status: {phase: Running, podIP: 127.0.0.1}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: edge, namespace: default}
                spec:
                  gatewayClassName: istio
                  listeners: [{name: http, port: 80, protocol: HTTP}]
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: ledger, namespace: default}
                spec:
                  parentRefs: [{name: edge}]
                  rules: [{backendRefs: [{name: ledger, namespace: outside, port: 443}]}]
                ---
                apiVersion: gateway.networking.k8s.io/v1beta1
                kind: ReferenceGrant
                metadata: {name: routes-from-default, namespace: outside}
                spec:
                  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
                  to: [{group: "", kind: Service, name: ledger}]
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: ledger-mtls, namespace: default}
                spec:
                  host: ledger.outside.svc.cluster.local
                  trafficPolicy:
                    tls:
                      mode: MUTUAL
                      credentialName: ledger-client
                      sni: %s
                      subjectAltNames: [%s]
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: ledger-client, namespace: default}
                type: Opaque
                stringData:
                  tls.crt: |
                    %s
                  tls.key: |
                    %s
                  ca.crt: |
                    %s
                """.formatted(
                        backend.address().getPort(),
                        SERVER_NAME,
                        SERVER_NAME,
                        pemIndented("edge.crt"),
                        pemIndented("edge.key"),
                        pemIndented("ca.crt")));
        gateway = EdgeGateway.start(
                folder,
                80,
                bed -> bed.runtime
                        .clusters()
                        .get("outbound|443||ledger.outside.svc.cluster.local")
                        .map(c -> c.config().tls().isPresent())
                        .orElse(false));
        String page = LocalCommands.curlLoopback(gateway.port(), "/", "-H", "host: ledger.example.com");
        assertThat(page)
                .contains("Client certificate")
                .contains("Subject: CN=edge-gateway")
                .contains("TLSv1.3");
        assertThat(gateway.istiodLite.server().pipeline().warnings()).isEmpty();
    }

    /**
     * The Gateway API way: a BackendTLSPolicy with the backend's CA in a ConfigMap and the hostname to send and to
     * find in its certificate; a policy naming another hostname leaves the backend unreachable (503), as the server's
     * certificate then does not carry it.
     */
    @Test
    void aBackendTlsPolicyVerifiesTheBackendByItsHostnameAndTheConfigMapsCa() throws Exception {
        LocalCommands.selfSigned(keys, "ca", "ledger-ca", "sec1-ec");
        LocalCommands.issuedBy(keys, "ca", "ledger", SERVER_NAME, "DNS:" + SERVER_NAME);
        backend = OpensslServer.start(keys, "-cert", "ledger.crt", "-key", "ledger.key");
        String mesh = """
                apiVersion: v1
                kind: Namespace
                metadata: {name: default}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: ledger, namespace: default}
                spec: {clusterIP: 198.19.0.71, selector: {app: ledger}, ports: [{name: https, port: 443, targetPort: %d}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: ledger-0, namespace: default, labels: {app: ledger}}
                spec: {nodeName: node-a, containers: [{name: app, image: app}]}
                status: {phase: Running, podIP: 127.0.0.1}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: edge, namespace: default}
                spec:
                  gatewayClassName: istio
                  listeners: [{name: http, port: 80, protocol: HTTP}]
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: ledger, namespace: default}
                spec:
                  parentRefs: [{name: edge}]
                  rules: [{backendRefs: [{name: ledger, port: 443}]}]
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: ledger-ca, namespace: default}
                data:
                  ca.crt: |
                    %s
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: BackendTLSPolicy
                metadata: {name: ledger-tls, namespace: default}
                spec:
                  targetRefs: [{group: "", kind: Service, name: ledger, sectionName: https}]
                  validation:
                    hostname: %s
                    caCertificateRefs: [{group: "", kind: ConfigMap, name: ledger-ca}]
                """;
        Files.writeString(
                folder.resolve("00-mesh.yaml"),
                mesh.formatted(backend.address().getPort(), pemIndented("ca.crt"), SERVER_NAME));
        gateway = EdgeGateway.start(
                folder,
                80,
                bed -> bed.runtime
                        .clusters()
                        .get("outbound|443||ledger.default.svc.cluster.local")
                        .map(c -> c.config().tls().isPresent())
                        .orElse(false));
        assertThat(LocalCommands.curlLoopback(gateway.port(), "/"))
                .contains("TLSv1.3")
                .contains("no client certificate available");
        assertThat(gateway.istiodLite.server().pipeline().warnings()).isEmpty();

        Files.writeString(
                folder.resolve("00-mesh.yaml"),
                mesh.formatted(backend.address().getPort(), pemIndented("ca.crt"), "payments.example.com"));
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(20))
                .until(() -> LocalCommands.curlLoopback(gateway.port(), "/", "-o", "/dev/null", "-w", "%{http_code}")
                        .equals("503"));
    }
}
