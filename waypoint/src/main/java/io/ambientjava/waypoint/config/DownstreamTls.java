package io.ambientjava.waypoint.config;

import io.netty.handler.ssl.SslContext;
import java.util.List;
import java.util.Objects;

/**
 * A listener's TLS termination (Envoy's {@code DownstreamTlsContext}): the server context made from its certificate
 * chain and key, offering {@code alpn} (e.g. {@code h2}, {@code http/1.1}).
 *
 * @param subject the leaf certificate's subject, for the config dump and errors
 * @param requiresClientCertificate mutual TLS: a client without a certificate from the trusted CAs is refused
 */
public record DownstreamTls(
        SslContext sslContext, List<String> alpn, String subject, boolean requiresClientCertificate) {

    public DownstreamTls {
        Objects.requireNonNull(sslContext, "sslContext");
        alpn = List.copyOf(alpn);
        Objects.requireNonNull(subject, "subject");
    }

    public DownstreamTls(SslContext sslContext, List<String> alpn, String subject) {
        this(sslContext, alpn, subject, false);
    }
}
