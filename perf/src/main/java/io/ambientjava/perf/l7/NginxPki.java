package io.ambientjava.perf.l7;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.pem.Pem;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * nginx's certificates, from a CA of their own: its listener certificate ({@code cert.pem}, {@code key.pem}) and its
 * upstream client certificate ({@code upstream-client-*.pem}) written where its config expects them, and the
 * context of the TLS server behind it, which requires and verifies that client certificate.
 */
final class NginxPki {

    static final SpiffeId NGINX = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/nginx");
    static final SpiffeId SERVER = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/server-plain");

    private NginxPki() {}

    /** Writes nginx's certificates into {@code dir} and returns the TLS context of the server behind it. */
    static SslContext create(Path dir) throws Exception {
        Files.createDirectories(dir);
        MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned("cluster.local");
        write(ca.issue(NGINX), dir.resolve("cert.pem"), dir.resolve("key.pem"));
        write(ca.issue(NGINX), dir.resolve("upstream-client-cert.pem"), dir.resolve("upstream-client-key.pem"));
        WorkloadCertificate server = ca.issue(SERVER);
        return SslContextBuilder.forServer(server.privateKey(), server.chain())
                .sslProvider(SslProvider.OPENSSL)
                .protocols("TLSv1.3")
                .clientAuth(ClientAuth.REQUIRE)
                .trustManager(ca.trustBundle().roots())
                .build();
    }

    private static void write(WorkloadCertificate certificate, Path chain, Path key) {
        Pem.writeFile(chain, Pem.writeCertificates(certificate.chain()));
        Pem.writeFile(key, Pem.writePrivateKey(certificate.privateKey()));
    }
}
