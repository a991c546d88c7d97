package io.ambientjava.waypoint.config;

import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A cluster's {@code transport_socket} to an {@link UpstreamTls}: {@code envoy.transport_sockets.tls} with an
 * {@code UpstreamTlsContext} of {@code sni} and a {@code common_tls_context} holding at most one client certificate
 * ({@code tls_certificates}), the server check ({@code validation_context}: {@code trusted_ca},
 * {@code match_typed_subject_alt_names} and {@code crl}) and {@code alpn_protocols}; PEM inline or by {@code filename}. Without a
 * {@code validation_context} any server certificate is accepted, as in Envoy. Anything else is refused by its field.
 */
final class UpstreamTlsTranslator {

    private UpstreamTlsTranslator() {}

    static UpstreamTls translate(TransportSocket socket, String path) {
        FieldGuard.onlyFields(socket, path, Set.of("name", "typed_config"));
        if (!socket.getName().equals(DownstreamTlsTranslator.TLS_SOCKET)) {
            throw FieldGuard.invalid(
                    path + ".name",
                    "only " + DownstreamTlsTranslator.TLS_SOCKET + " is supported, got '" + socket.getName() + "'");
        }
        UpstreamTlsContext tls = ListenerTranslator.unpack(socket.getTypedConfig(), UpstreamTlsContext.class, path);
        String tpath = path + ".typed_config";
        FieldGuard.onlyFields(tls, tpath, Set.of("common_tls_context", "sni"));
        CommonTlsContext common = tls.getCommonTlsContext();
        String cpath = tpath + ".common_tls_context";
        FieldGuard.onlyFields(common, cpath, Set.of("tls_certificates", "alpn_protocols", "validation_context"));
        try {
            SslContextBuilder builder = SslContextBuilder.forClient()
                    .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK);
            boolean verifies = common.hasValidationContext();
            if (verifies) {
                String vpath = cpath + ".validation_context";
                var validation = common.getValidationContext();
                FieldGuard.onlyFields(validation, vpath, Set.of("trusted_ca", "match_typed_subject_alt_names", "crl"));
                if (!validation.hasTrustedCa()) {
                    throw FieldGuard.invalid(vpath + ".trusted_ca", "needed to check the server's certificate");
                }
                List<X509Certificate> cas = TlsMaterial.certificates(
                        TlsMaterial.inlineOrFile(validation.getTrustedCa(), vpath + ".trusted_ca"),
                        vpath + ".trusted_ca");
                PeerNameCheck names = PeerNameCheck.translate(
                        validation.getMatchTypedSubjectAltNamesList(), vpath + ".match_typed_subject_alt_names");
                builder.trustManager(new PeerCertificateTrustManager(
                        PeerCertificateTrustManager.Peer.SERVERS,
                        cas,
                        TlsMaterial.crls(validation, vpath),
                        names,
                        ClientCertificatePins.NONE));
            } else {
                builder.trustManager(InsecureTrustManagerFactory.INSTANCE);
            }
            if (common.getTlsCertificatesCount() > 1) {
                throw FieldGuard.invalid(cpath + ".tls_certificates", "at most one client certificate is supported");
            }
            boolean presents = common.getTlsCertificatesCount() == 1;
            if (presents) {
                TlsCertificate certificate = common.getTlsCertificates(0);
                String kpath = cpath + ".tls_certificates[0]";
                FieldGuard.onlyFields(certificate, kpath, Set.of("certificate_chain", "private_key"));
                List<X509Certificate> chain = TlsMaterial.certificates(
                        TlsMaterial.inlineOrFile(certificate.getCertificateChain(), kpath + ".certificate_chain"),
                        kpath + ".certificate_chain");
                PrivateKey key = TlsMaterial.privateKey(
                        TlsMaterial.inlineOrFile(certificate.getPrivateKey(), kpath + ".private_key"),
                        kpath + ".private_key");
                TlsMaterial.requireKeyOf(chain.getFirst(), key, kpath);
                builder.keyManager(key, chain.toArray(X509Certificate[]::new));
            }
            if (common.getAlpnProtocolsCount() > 0) {
                builder.applicationProtocolConfig(new ApplicationProtocolConfig(
                        ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        common.getAlpnProtocolsList()));
            }
            Optional<String> sni = tls.getSni().isEmpty() ? Optional.empty() : Optional.of(tls.getSni());
            return new UpstreamTls(builder.build(), sni, verifies, presents);
        } catch (UnsupportedConfigException e) {
            throw e;
        } catch (Exception e) {
            throw FieldGuard.invalid(tpath, "cannot make a TLS client context: " + e.getMessage());
        }
    }
}
