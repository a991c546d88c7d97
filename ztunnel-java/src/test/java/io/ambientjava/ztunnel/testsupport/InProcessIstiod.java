package io.ambientjava.ztunnel.testsupport;

import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.istiod.ca.TokenFileAuthenticator;
import io.ambientjava.istiod.config.local.LocalFolderSource;
import io.ambientjava.istiod.server.IstiodServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * istiod-lite running inside the test JVM on a folder of YAML, xDS/CA on a plaintext and a TLS loopback port. It can be
 * stopped and started again on the same port with the same CA, as a restarted istiod would be.
 */
public final class InProcessIstiod implements AutoCloseable {

    /** The mesh every test uses: an ambient namespace, two pods on node-a, a service, mesh-wide STRICT mTLS. */
    public static final String MESH = """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: shop
              labels: {istio.io/dataplane-mode: ambient}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: istio-system}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: shop}
            spec:
              clusterIP: 198.19.0.10
              selector: {app: web}
              ports:
              - {name: http, port: 80, targetPort: 8080}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web-0, namespace: shop, labels: {app: web}}
            spec:
              serviceAccountName: web
              nodeName: node-a
              containers: [{name: web, image: web, ports: [{containerPort: 8080}]}]
            status: {phase: Running, podIP: 198.18.1.10}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: client-0, namespace: shop, labels: {app: client}}
            spec:
              serviceAccountName: client
              nodeName: node-a
              containers: [{name: client, image: client}]
            status: {phase: Running, podIP: 198.18.1.11}
            ---
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: istio-system}
            spec:
              mtls: {mode: STRICT}
            """;

    public static final String NODE_A_TOKEN = tokenFor("node-a");
    public static final String NODE_B_TOKEN = tokenFor("node-b");
    public static final String WEB_0_UID = "Kubernetes//Pod/shop/web-0";
    public static final String CLIENT_0_UID = "Kubernetes//Pod/shop/client-0";

    /** The bearer token of the ztunnel of {@code node} (node-a, node-b, node1, node2 are known). */
    public static String tokenFor(String node) {
        return "ztunnel-" + node + "-token-0123456789";
    }

    private final Path folder;
    private final Path tokens;
    private final MeshCertificateAuthority ca;
    private LocalFolderSource source;
    private IstiodServer server;
    private int port;

    private InProcessIstiod(Path folder, Path tokens) {
        this.folder = folder;
        this.tokens = tokens;
        this.ca = MeshCertificateAuthority.createSelfSigned("cluster.local");
    }

    /** Writes {@link #MESH} and a token file ({@link #tokenFor} each test node) under {@code dir}, then starts. */
    public static InProcessIstiod start(Path dir) throws IOException {
        return start(dir, MESH);
    }

    /** As {@link #start(Path)} with another mesh. */
    public static InProcessIstiod start(Path dir, String meshYaml) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("mesh"));
        Files.writeString(folder.resolve("00-mesh.yaml"), meshYaml);
        Path tokens = dir.resolve("tokens.yaml");
        Files.writeString(tokens, """
                tokens:
                - {token: %s, namespace: istio-system, serviceAccount: ztunnel, node: node-a}
                - {token: %s, namespace: istio-system, serviceAccount: ztunnel, node: node-b}
                - {token: %s, namespace: istio-system, serviceAccount: ztunnel, node: node1}
                - {token: %s, namespace: istio-system, serviceAccount: ztunnel, node: node2}
                - {token: plain-workload-token-0123456789, namespace: shop, serviceAccount: web}
                """.formatted(NODE_A_TOKEN, NODE_B_TOKEN, tokenFor("node1"), tokenFor("node2")));
        InProcessIstiod istiod = new InProcessIstiod(folder, tokens);
        istiod.startServer(0);
        return istiod;
    }

    private void startServer(int wantedPort) {
        source = LocalFolderSource.open(folder, Duration.ofMillis(200));
        server = IstiodServer.builder(source, ca)
                .authenticator(TokenFileAuthenticator.load(tokens, "cluster.local", Clock.systemUTC()))
                .xdsPort(wantedPort)
                .tlsAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .debounce(Duration.ofMillis(20))
                .start();
        port = server.xdsPort();
    }

    public int port() {
        return port;
    }

    /** istiod-lite's TLS port (Istio's 15012), on loopback; a new one after each restart. */
    public int tlsPort() {
        return server.tlsPort().orElseThrow();
    }

    public Path folder() {
        return folder;
    }

    public MeshCertificateAuthority ca() {
        return ca;
    }

    /** Writes a config file and makes istiod-lite read the folder now. */
    public void write(String file, String yaml) throws IOException {
        Files.writeString(folder.resolve(file), yaml);
        reload();
    }

    public void delete(String file) throws IOException {
        Files.delete(folder.resolve(file));
        reload();
    }

    private void reload() {
        if (source != null) {
            source.reloadNow();
        }
    }

    public boolean running() {
        return server != null;
    }

    /** Stops serving; the port is free again afterwards. */
    public void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
        if (source != null) {
            source.close();
            source = null;
        }
    }

    /** Starts again on the same port (retrying the bind for a few seconds) with the same CA and folder. */
    public void restart() throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(10);
        while (true) {
            try {
                startServer(port);
                return;
            } catch (UncheckedIOException e) {
                if (source != null) {
                    source.close();
                    source = null;
                }
                if (Instant.now().isAfter(deadline)) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    @Override
    public void close() {
        stop();
    }
}
