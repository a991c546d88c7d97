package io.ambientjava.perf.mesh;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.pem.Pem;
import io.ambientjava.testing.netns.Pod;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A plain mutual-TLS tunnel between two pods with Debian's stunnel4: a client end in the client pod listening on
 * its loopback, a server end in the server pod in front of the app, certificates from the mesh CA.
 */
public final class StunnelLauncher {

    /** Fixed ports are safe: each pod is a fresh namespace of its own. */
    public static final int CLIENT_PORT = 15101;

    public static final int SERVER_PORT = 15102;

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);

    private final String binary;

    public StunnelLauncher(String binary) {
        this.binary = binary;
    }

    /** The running pair and the address the client pod's app dials. */
    public record Pair(ProxyProcess client, ProxyProcess server, InetSocketAddress entry) {
        public List<ProxyProcess> processes() {
            return List.of(client, server);
        }
    }

    public Pair start(Pod client, Pod server, int appPort, MeshCertificateAuthority ca, Path dir) throws Exception {
        Files.createDirectories(dir);
        Path root = dir.resolve("root-cert.pem");
        Pem.writeFile(root, Pem.writeCertificates(ca.trustBundle().roots()));
        InetSocketAddress serverEnd = server.address(SERVER_PORT);
        StunnelConfig serverConfig = new StunnelConfig(
                false,
                new InetSocketAddress(server.ip(), SERVER_PORT),
                new InetSocketAddress("127.0.0.1", appPort),
                writeCert(ca, server, dir, "server"),
                dir.resolve("server-key.pem"),
                root);
        InetSocketAddress entry = new InetSocketAddress("127.0.0.1", CLIENT_PORT);
        StunnelConfig clientConfig = new StunnelConfig(
                true, entry, serverEnd, writeCert(ca, client, dir, "client"), dir.resolve("client-key.pem"), root);
        ProxyProcess serverProcess = launch(server, serverConfig, dir.resolve("server.conf"), "stunnel@server");
        awaitListening(server, serverEnd, serverProcess);
        ProxyProcess clientProcess = launch(client, clientConfig, dir.resolve("client.conf"), "stunnel@client");
        awaitListening(client, entry, clientProcess);
        return new Pair(clientProcess, serverProcess, entry);
    }

    private static Path writeCert(MeshCertificateAuthority ca, Pod pod, Path dir, String role) {
        WorkloadCertificate cert =
                ca.issue(SpiffeId.parse("spiffe://" + ca.trustDomain() + "/ns/default/sa/" + pod.name()));
        Path certFile = dir.resolve(role + "-cert.pem");
        Pem.writeFile(certFile, Pem.writeCertificates(cert.chain()));
        Pem.writeFile(dir.resolve(role + "-key.pem"), Pem.writePrivateKey(cert.privateKey()));
        return certFile;
    }

    private ProxyProcess launch(Pod pod, StunnelConfig config, Path file, String name) throws Exception {
        Files.writeString(file, config.text());
        return new ProxyProcess(name, pod.start(binary, file.toString()));
    }

    private static void awaitListening(Pod pod, InetSocketAddress address, ProxyProcess process)
            throws InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            process.checkAlive();
            if (pod.exec("ss", "-Htln", "src", address.getAddress().getHostAddress() + ":" + address.getPort())
                    .stdout()
                    .contains(":" + address.getPort())) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(process.name() + " is not listening on " + address + " after " + READY_TIMEOUT
                + ":\n" + process.started().log());
    }
}
