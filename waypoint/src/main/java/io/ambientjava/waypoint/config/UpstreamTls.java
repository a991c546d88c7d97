package io.ambientjava.waypoint.config;

import io.netty.handler.ssl.SslContext;
import java.util.Objects;
import java.util.Optional;

/**
 * TLS the waypoint originates to a cluster's endpoints (a DestinationRule's {@code tls} mode SIMPLE or MUTUAL):
 * inside the HBONE tunnel for a mesh endpoint, on the TCP connection for one outside the mesh.
 *
 * @param sni the server name to send; empty sends none (as Envoy without {@code sni})
 * @param verifiesServer the server's certificate is checked (trusted CAs, maybe names); false: any certificate
 * @param presentsCertificate a client certificate is offered (MUTUAL)
 */
public record UpstreamTls(
        SslContext context, Optional<String> sni, boolean verifiesServer, boolean presentsCertificate) {

    public UpstreamTls {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(sni, "sni");
    }
}
