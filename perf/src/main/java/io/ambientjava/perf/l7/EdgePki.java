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
 * The certificates of the edge proxies (nginx, and the ingress gateway of the {@code gateway-mtls} variant), from a
 * CA of their own: the listener certificate ({@code cert.pem}, {@code key.pem}), the upstream client certificate
 * ({@code upstream-client-*.pem}) and the CA ({@code ca.pem}, which the gateway checks the server against) written
 * where nginx's config expects them, and the context of the TLS server behind them, which requires and verifies
 * that client certificate.
 */
final class EdgePki {

    static final SpiffeId NGINX = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/nginx");
    static final SpiffeId SERVER = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/server-plain");

    private EdgePki() {}

    /** Writes nginx's certificates into {@code dir} and returns the TLS context of the server behind it. */
    static SslContext create(Path dir) throws Exception {
        Files.createDirectories(dir);
        MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned("cluster.local");
        write(ca.issue(NGINX), dir.resolve("cert.pem"), dir.resolve("key.pem"));
        write(ca.issue(NGINX), dir.resolve("upstream-client-cert.pem"), dir.resolve("upstream-client-key.pem"));
        Pem.writeFile(
                dir.resolve("ca.pem"), Pem.writeCertificates(ca.trustBundle().roots()));
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
