package io.ambientjava.waypoint.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.waypoint.config.DownstreamTls;
import io.ambientjava.waypoint.config.ListenerConfig;
import io.ambientjava.waypoint.proxy.DownstreamListener;
import io.ambientjava.waypoint.testsupport.IstiodLite;
import io.ambientjava.waypoint.testsupport.LocalCommands;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TlsBackend;
import io.ambientjava.waypoint.xds.AdsClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS at an ingress gateway from the user's YAML: an Istio Gateway server with {@code tls.mode: SIMPLE} and a
 * {@code credentialName}, the Kubernetes TLS Secret it names, istiod-lite's Envoy xDS to the gateway's ADS client,
 * and curl verifying the certificate; a new certificate in the Secret is served to new connections; the plain HTTP
 * server with {@code tls.httpsRedirect} sends curl to https; a second HTTPS server on the port has its own
 * certificate, picked by SNI; a {@code MUTUAL} server admits only a client certificate from the Secret's CA, and
 * with {@code subjectAltNames} only one carrying a listed name.
 */
@RequiresCommand({"curl", "openssl"})
class IngressHttpsFromIstiodLiteTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String HOSTNAME = "shop.example.com";
    private static final String ADMIN = "admin.example.com";

    @TempDir
    Path folder;

    @TempDir
    Path keys;

    private IstiodLite istiodLite;
    private AdsClient client;
    private TestBed bed;
    private DownstreamListener listener;

    @AfterEach
    void stop() throws Exception {
        if (listener != null) {
            listener.close();
        }
        if (istiodLite != null) {
            istiodLite.close();
        }
        if (bed != null) {
            bed.close();
        }
    }

    /** A new self-signed certificate for {@link #HOSTNAME} as {@code <name>.crt} / {@code <name>.key}. */
    private void certificate(String name) throws Exception {
        LocalCommands.selfSigned(keys, name, HOSTNAME, "pkcs8-rsa");
    }

    private static String indented(String pem) {
        return pem.strip().replace("\n", "\n    ");
    }

    private void secret(String name) throws Exception {
        secret(name, "edge-cert", "20-secret.yaml");
    }

    private void secret(String name, String secretName, String file) throws Exception {
        String crt = Files.readString(keys.resolve(name + ".crt"));
        String key = Files.readString(keys.resolve(name + ".key"));
        Files.writeString(folder.resolve(file), """
                apiVersion: v1
                kind: Secret
                metadata: {name: %s, namespace: default}
                type: kubernetes.io/tls
                stringData:
                  tls.crt: |
                    %s
                  tls.key: |
                    %s
                """.formatted(secretName, indented(crt), indented(key)));
    }

    private String curl(String ca, String path) throws Exception {
        return LocalCommands.curlHttps(keys, ca, HOSTNAME, listener.port(), path, "-w", " %{http_version}");
    }

    /**
     * istiod-lite on the config folder, the gateway {@code default/edge} as its ADS client, and a listener for
     * port 443 once {@code ready} holds (without a NACK).
     */
    private void startGateway(java.util.function.BooleanSupplier ready) throws Exception {
        istiodLite = IstiodLite.start(folder);
        bed = new TestBed();
        client = istiodLite.subscribe(IstiodLite.EDGE_GATEWAY, bed.runtime::apply);
        IstiodLite.awaitAccepted(client, ready);
        listener = DownstreamListener.plain(
                        bed.group,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        bed.runtime,
                        "0.0.0.0",
                        443)
                .join();
    }

    /**
     * A Gateway TLS server and a VirtualService tls route from the user's YAML; the backend, outside the mesh
     * (a pod at 127.0.0.1 in a namespace without ambient), keeps its own certificate, which curl verifies.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"istio", "gateway-api"})
    void aTlsRouteAtAPassthroughServerReachesTheBackendWithItsOwnCertificate(String api) throws Exception {
        var backendLoop = io.ambientjava.hbone.NettyTransport.newEventLoopGroup(1, "tls-backend");
        try (TlsBackend backend = TlsBackend.start(backendLoop, keys, "backend", HOSTNAME)) {
            Files.writeString(
                    folder.resolve("00-passthrough.yaml"),
                    PASSTHROUGH_BACKEND.formatted(backend.address().getPort())
                            + (api.equals("istio") ? ISTIO_PASSTHROUGH : GATEWAY_API_PASSTHROUGH));
            startGateway(() -> bed.runtime
                    .config()
                    .listenerFor("0.0.0.0", 443)
                    .map(l -> l.kind() instanceof ListenerConfig.TlsPassthrough)
                    .orElse(false));
            assertThat(LocalCommands.curlHttps(keys, "backend", HOSTNAME, listener.port(), "/"))
                    .isEqualTo("backend over passthrough");
        } finally {
            backendLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** The backend outside the mesh: a pod at 127.0.0.1 in a namespace without ambient, its port to fill in. */
    private static final String PASSTHROUGH_BACKEND = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: default, labels: {istio.io/dataplane-mode: ambient}}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: outside}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: shop, namespace: outside}
            spec: {clusterIP: 198.19.0.50, selector: {app: shop}, ports: [{name: tls, port: 443, targetPort: %d}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: shop-0, namespace: outside, labels: {app: shop}}
            spec: {nodeName: node-a, containers: [{name: app, image: app}]}
            status: {phase: Running, podIP: 127.0.0.1}
            ---
            """;

    private static final String ISTIO_PASSTHROUGH = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: edge, namespace: default}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 443, name: tls, protocol: TLS}
                hosts: ["*"]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: shop, namespace: default}
            spec:
              hosts: ["shop.example.com"]
              gateways: [edge]
              tls:
              - match: [{port: 443, sniHosts: ["shop.example.com"]}]
                route: [{destination: {host: shop.outside.svc.cluster.local, port: {number: 443}}}]
            """;

    private static final String GATEWAY_API_PASSTHROUGH = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: edge, namespace: default}
            spec:
              gatewayClassName: istio
              listeners: [{name: tls, port: 443, protocol: TLS, tls: {mode: Passthrough}}]
            ---
            apiVersion: gateway.networking.k8s.io/v1alpha2
            kind: TLSRoute
            metadata: {name: shop, namespace: default}
            spec:
              parentRefs: [{name: edge}]
              hostnames: ["shop.example.com"]
              rules: [{backendRefs: [{name: shop, namespace: outside, port: 443}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: ReferenceGrant
            metadata: {name: tls-routes-from-default, namespace: outside}
            spec:
              from: [{group: gateway.networking.k8s.io, kind: TLSRoute, namespace: default}]
              to: [{group: "", kind: Service, name: shop}]
            """;

    private Optional<String> servedSubject() {
        return bed.runtime
                .config()
                .listenerFor("0.0.0.0", 443)
                .flatMap(ListenerConfig::tls)
                .flatMap(tls -> tls.forServerName(HOSTNAME))
                .map(DownstreamTls::subject);
    }

    @Test
    void curlReachesTheGatewayOverHttpsAndARotatedCertificateIsServedToNewConnections() throws Exception {
        certificate("first");
        LocalCommands.selfSigned(keys, "admin", ADMIN, "sec1-ec");
        Files.writeString(folder.resolve("00-mesh.yaml"), MESH);
        secret("first");
        secret("admin", "admin-cert", "21-admin-secret.yaml");
        LocalCommands.selfSigned(keys, "clientca", "client-ca", "sec1-ec");
        LocalCommands.issuedBy(keys, "clientca", "alice", "alice", "URI:spiffe://cluster.local/ns/default/sa/alice");
        LocalCommands.issuedBy(keys, "clientca", "bob", "bob", "URI:spiffe://cluster.local/ns/default/sa/bob");
        Files.writeString(folder.resolve("22-mtls-secret.yaml"), """
                apiVersion: v1
                kind: Secret
                metadata: {name: mtls-cert, namespace: default}
                type: kubernetes.io/tls
                stringData:
                  tls.crt: |
                    %s
                  tls.key: |
                    %s
                  ca.crt: |
                    %s
                """.formatted(
                        indented(Files.readString(keys.resolve("first.crt"))),
                        indented(Files.readString(keys.resolve("first.key"))),
                        indented(Files.readString(keys.resolve("clientca.crt")))));
        startGateway(() -> servedSubject().isPresent());

        assertThat(curl("first", "/")).isEqualTo("shop over https 2");
        assertThat(LocalCommands.curlHttps(keys, "admin", ADMIN, listener.port(), "/"))
                .as("the second server on 443, its own certificate picked by SNI")
                .isEqualTo("admin over https");
        try (DownstreamListener mutual = DownstreamListener.plain(
                        bed.group,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        bed.runtime,
                        "0.0.0.0",
                        8443)
                .join()) {
            assertThat(LocalCommands.curlHttps(
                            keys, "first", HOSTNAME, mutual.port(), "/", "--cert", "alice.crt", "--key", "alice.key"))
                    .as("tls.mode MUTUAL: a client certificate from the Secret's ca.crt")
                    .isEqualTo("shop over https");
            assertThat(LocalCommands.curlHttps(keys, "first", HOSTNAME, mutual.port(), "/"))
                    .as("MUTUAL without a client certificate")
                    .doesNotContain("shop over");
        }
        try (DownstreamListener named = DownstreamListener.plain(
                        bed.group,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        bed.runtime,
                        "0.0.0.0",
                        9443)
                .join()) {
            assertThat(LocalCommands.curlHttps(
                            keys, "first", HOSTNAME, named.port(), "/", "--cert", "alice.crt", "--key", "alice.key"))
                    .as("tls.subjectAltNames names alice")
                    .isEqualTo("shop over https");
            assertThat(LocalCommands.curlHttps(
                            keys, "first", HOSTNAME, named.port(), "/", "--cert", "bob.crt", "--key", "bob.key"))
                    .as("bob: the same CA, a name not listed")
                    .doesNotContain("shop over");
        }
        try (DownstreamListener plain = DownstreamListener.plain(
                        bed.group,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        bed.runtime,
                        "0.0.0.0",
                        80)
                .join()) {
            assertThat(LocalCommands.curlHttp(
                            keys,
                            HOSTNAME,
                            plain.port(),
                            "/cart?item=1",
                            "-o",
                            "/dev/null",
                            "-w",
                            "%{http_code} %{redirect_url}"))
                    .as("tls.httpsRedirect on the port 80 server")
                    .isEqualTo("301 https://" + HOSTNAME + ":" + plain.port() + "/cart?item=1");
        }
        assertThat(LocalCommands.curlHttps(keys, "first", HOSTNAME, listener.port(), "/", "--http1.1"))
                .isEqualTo("shop over https");

        certificate("second");
        secret("second");
        await().atMost(WAIT).until(() -> curl("second", "/").equals("shop over https 2"));
        assertThat(curl("first", "/"))
                .as("the old certificate is no longer served")
                .doesNotContain("shop over");
        assertThat(client.nacks()).isZero();
        assertThat(bed.records).isNotEmpty();
        assertThat(List.copyOf(bed.records))
                .allSatisfy(r -> assertThat(r.status()).isEqualTo(r.path().startsWith("/cart") ? 301 : 200));
    }

    /**
     * MUTUAL with a revocation list, from the Secret's {@code ca.crl} (port 8443) or a file {@code tls.caCrl} names
     * (port 9443): a certificate the list revokes is refused, one it does not is admitted.
     */
    @Test
    void aMutualServerRefusesAClientCertificateItsRevocationListRevokes() throws Exception {
        certificate("first");
        LocalCommands.selfSigned(keys, "clientca", "client-ca", "sec1-ec");
        LocalCommands.issuedBy(keys, "clientca", "alice", "alice");
        LocalCommands.issuedBy(keys, "clientca", "bob", "bob");
        LocalCommands.crl(keys, "clientca", "bob-revoked", "bob");
        Files.writeString(folder.resolve("00-mesh.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata: {name: default, labels: {istio.io/dataplane-mode: ambient}}
                ---
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: edge, namespace: default}
                spec:
                  selector: {istio: ingressgateway}
                  servers:
                  - port: {number: 8443, name: https-crl-secret, protocol: HTTPS}
                    hosts: ["shop.example.com"]
                    tls: {mode: MUTUAL, credentialName: mtls-crl}
                  - port: {number: 9443, name: https-crl-file, protocol: HTTPS}
                    hosts: ["shop.example.com"]
                    tls: {mode: MUTUAL, credentialName: mtls-plain, caCrl: %s}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: shop, namespace: default}
                spec:
                  hosts: ["shop.example.com"]
                  gateways: [edge]
                  http:
                  - directResponse: {status: 200, body: {string: shop over https}}
                """.formatted(keys.resolve("bob-revoked.crl")));
        String crt = indented(Files.readString(keys.resolve("first.crt")));
        String key = indented(Files.readString(keys.resolve("first.key")));
        String ca = indented(Files.readString(keys.resolve("clientca.crt")));
        String crl = indented(Files.readString(keys.resolve("bob-revoked.crl")));
        Files.writeString(folder.resolve("20-secrets.yaml"), """
                apiVersion: v1
                kind: Secret
                metadata: {name: mtls-crl, namespace: default}
                stringData:
                  tls.crt: |
                    %s
                  tls.key: |
                    %s
                  ca.crt: |
                    %s
                  ca.crl: |
                    %s
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: mtls-plain, namespace: default}
                stringData:
                  tls.crt: |
                    %s
                  tls.key: |
                    %s
                  ca.crt: |
                    %s
                """.formatted(crt, key, ca, crl, crt, key, ca));
        startGateway(() -> bed.runtime.config().listenerFor("0.0.0.0", 8443).isPresent()
                && bed.runtime.config().listenerFor("0.0.0.0", 9443).isPresent());
        for (int port : new int[] {8443, 9443}) {
            try (DownstreamListener mutual = DownstreamListener.plain(
                            bed.group,
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                            bed.runtime,
                            "0.0.0.0",
                            port)
                    .join()) {
                assertThat(LocalCommands.curlHttps(
                                keys,
                                "first",
                                HOSTNAME,
                                mutual.port(),
                                "/",
                                "--cert",
                                "alice.crt",
                                "--key",
                                "alice.key"))
                        .as("port %d: alice is not revoked", port)
                        .isEqualTo("shop over https");
                assertThat(LocalCommands.curlHttps(
                                keys, "first", HOSTNAME, mutual.port(), "/", "--cert", "bob.crt", "--key", "bob.key"))
                        .as("port %d: bob's certificate is revoked", port)
                        .doesNotContain("shop over");
            }
        }
        assertThat(client.nacks()).isZero();
    }

    private static final String MESH = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: default, labels: {istio.io/dataplane-mode: ambient}}
            ---
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: edge, namespace: default}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 443, name: https, protocol: HTTPS}
                hosts: ["shop.example.com"]
                tls: {mode: SIMPLE, credentialName: edge-cert}
              - port: {number: 443, name: https-admin, protocol: HTTPS}
                hosts: ["admin.example.com"]
                tls: {mode: SIMPLE, credentialName: admin-cert}
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: ["shop.example.com"]
                tls: {httpsRedirect: true}
              - port: {number: 8443, name: https-mtls, protocol: HTTPS}
                hosts: ["shop.example.com"]
                tls: {mode: MUTUAL, credentialName: mtls-cert}
              - port: {number: 9443, name: https-mtls-named, protocol: HTTPS}
                hosts: ["shop.example.com"]
                tls:
                  mode: MUTUAL
                  credentialName: mtls-cert
                  subjectAltNames: [spiffe://cluster.local/ns/default/sa/alice]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: shop, namespace: default}
            spec:
              hosts: ["shop.example.com"]
              gateways: [edge]
              http:
              - directResponse: {status: 200, body: {string: shop over https}}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: admin, namespace: default}
            spec:
              hosts: ["admin.example.com"]
              gateways: [edge]
              http:
              - directResponse: {status: 200, body: {string: admin over https}}
            """;
}
