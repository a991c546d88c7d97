package io.ambientjava.ztunnel.certs;

import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.tls.MeshTls;
import io.netty.handler.ssl.SslContext;
import java.util.Objects;

/**
 * The TLS contexts of one certificate: the server side for the pod's HBONE listener and the client side for its
 * outbound HBONE connections. Immutable; a rotated certificate gets a new instance.
 */
record TlsContexts(WorkloadCertificate certificate, SslContext server, SslContext client) {

    TlsContexts {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(client, "client");
    }

    static TlsContexts build(WorkloadCertificate certificate, TrustBundle bundle) {
        return new TlsContexts(
                certificate, MeshTls.serverContext(certificate, bundle), MeshTls.clientContext(certificate, bundle));
    }
}
