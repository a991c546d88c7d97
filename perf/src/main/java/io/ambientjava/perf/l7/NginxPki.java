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
 * The certificates of nginx's mutual-TLS route, from a CA of their own: nginx's client certificate and key written
 * where its config expects them, and the TLS server's context, which requires and verifies that certificate.
 */
final class NginxPki {

    static final SpiffeId NGINX = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/nginx");
    static final SpiffeId SERVER = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/server-plain");

    private NginxPki() {}

    /** Writes nginx's upstream client certificate into {@code dir} and returns the server's TLS context. */
    static SslContext create(Path dir) throws Exception {
        Files.createDirectories(dir);
        MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned("cluster.local");
        WorkloadCertificate client = ca.issue(NGINX);
        Pem.writeFile(dir.resolve("upstream-client-cert.pem"), Pem.writeCertificates(client.chain()));
        Pem.writeFile(dir.resolve("upstream-client-key.pem"), Pem.writePrivateKey(client.privateKey()));
        WorkloadCertificate server = ca.issue(SERVER);
        return SslContextBuilder.forServer(server.privateKey(), server.chain())
                .sslProvider(SslProvider.OPENSSL)
                .protocols("TLSv1.3")
                .clientAuth(ClientAuth.REQUIRE)
                .trustManager(ca.trustBundle().roots())
                .build();
    }
}
