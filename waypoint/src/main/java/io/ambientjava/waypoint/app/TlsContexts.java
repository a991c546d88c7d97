package io.ambientjava.waypoint.app;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.manager.WorkloadCertificateManager;
import io.ambientjava.identity.tls.MeshTls;
import io.netty.handler.ssl.SslContext;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The waypoint's TLS contexts, built from its current certificate and rebuilt only when the certificate manager
 * rotated it (building one per connection would cost a handshake's worth of CPU).
 */
final class TlsContexts {

    private final WorkloadCertificateManager certificates;
    private final SpiffeId identity;

    private record Cached(WorkloadCertificate certificate, SslContext context) {}

    TlsContexts(WorkloadCertificateManager certificates, SpiffeId identity) {
        this.certificates = certificates;
        this.identity = identity;
    }

    Supplier<SslContext> server() {
        return cached(cert -> MeshTls.serverContext(cert, certificates.trustBundle()));
    }

    Supplier<SslContext> client() {
        return cached(cert -> MeshTls.clientContext(cert, certificates.trustBundle()));
    }

    private Supplier<SslContext> cached(Function<WorkloadCertificate, SslContext> build) {
        var holder = new Object() {
            volatile Cached cached;
        };
        return () -> {
            WorkloadCertificate current = certificates
                    .current(identity)
                    .orElseGet(() -> certificates.certificateFor(identity).join());
            Cached c = holder.cached;
            if (c == null || c.certificate() != current) {
                c = new Cached(current, build.apply(current));
                holder.cached = c;
            }
            return c.context();
        };
    }
}
