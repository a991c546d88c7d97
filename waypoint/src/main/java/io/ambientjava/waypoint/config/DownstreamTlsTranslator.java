package io.ambientjava.waypoint.config;

import io.ambientjava.identity.pem.Pem;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;

/**
 * A filter chain's {@code transport_socket} to a {@link DownstreamTls}: {@code envoy.transport_sockets.tls} with one
 * certificate chain and private key given inline (PEM, read by the mesh's own {@link Pem}: the key as PKCS#8,
 * PKCS#1 RSA or SEC1 EC, as Kubernetes TLS Secrets hold them), optional ALPN protocols, and for mutual TLS an
 * inline {@code validation_context.trusted_ca} with {@code require_client_certificate}, the client names it
 * accepts ({@code match_typed_subject_alt_names}) and the certificates or keys it pins ({@code verify_certificate_hash},
 * {@code verify_certificate_spki}). Anything else (SDS, files, TLS parameters) is refused by its field.
 */
final class DownstreamTlsTranslator {

    static final String TLS_SOCKET = "envoy.transport_sockets.tls";
    private static final List<String> DEFAULT_ALPN = List.of("h2", "http/1.1");

    private DownstreamTlsTranslator() {}

    static DownstreamTls translate(TransportSocket socket, String path) {
        FieldGuard.onlyFields(socket, path, Set.of("name", "typed_config"));
        if (!socket.getName().equals(TLS_SOCKET)) {
            throw FieldGuard.invalid(
                    path + ".name", "only " + TLS_SOCKET + " is supported, got '" + socket.getName() + "'");
        }
        DownstreamTlsContext tls = ListenerTranslator.unpack(socket.getTypedConfig(), DownstreamTlsContext.class, path);
        String tpath = path + ".typed_config";
        FieldGuard.onlyFields(tls, tpath, Set.of("common_tls_context", "require_client_certificate"));
        CommonTlsContext common = tls.getCommonTlsContext();
        String cpath = tpath + ".common_tls_context";
        FieldGuard.onlyFields(common, cpath, Set.of("tls_certificates", "alpn_protocols", "validation_context"));
        List<X509Certificate> clientCas = List.of();
        PeerNameCheck clientNames = new PeerNameCheck(List.of());
        ClientCertificatePins clientPins = ClientCertificatePins.NONE;
        List<java.security.cert.X509CRL> clientCrls = List.of();
        if (common.hasValidationContext()) {
            String vpath = cpath + ".validation_context";
            var validation = common.getValidationContext();
            FieldGuard.onlyFields(
                    validation,
                    vpath,
                    Set.of(
                            "trusted_ca",
                            "match_typed_subject_alt_names",
                            "verify_certificate_hash",
                            "verify_certificate_spki",
                            "crl"));
            clientCas = TlsMaterial.certificates(
                    TlsMaterial.inline(validation.getTrustedCa(), vpath + ".trusted_ca"), vpath + ".trusted_ca");
            clientNames = PeerNameCheck.translate(
                    validation.getMatchTypedSubjectAltNamesList(), vpath + ".match_typed_subject_alt_names");
            clientPins = ClientCertificatePins.translate(
                    validation.getVerifyCertificateHashList(), validation.getVerifyCertificateSpkiList(), vpath);
            clientCrls = TlsMaterial.crls(validation, vpath);
        }
        boolean requireClientCertificate = tls.hasRequireClientCertificate()
                && tls.getRequireClientCertificate().getValue();
        if (requireClientCertificate && clientCas.isEmpty()) {
            throw FieldGuard.invalid(
                    tpath + ".require_client_certificate",
                    "needs common_tls_context.validation_context.trusted_ca to check the certificates against");
        }
        if (common.getTlsCertificatesCount() != 1) {
            throw FieldGuard.invalid(cpath + ".tls_certificates", "exactly one certificate is supported");
        }
        TlsCertificate certificate = common.getTlsCertificates(0);
        String kpath = cpath + ".tls_certificates[0]";
        FieldGuard.onlyFields(certificate, kpath, Set.of("certificate_chain", "private_key"));
        String chainPem = TlsMaterial.inline(certificate.getCertificateChain(), kpath + ".certificate_chain");
        String keyPem = TlsMaterial.inline(certificate.getPrivateKey(), kpath + ".private_key");
        List<X509Certificate> chain = TlsMaterial.certificates(chainPem, kpath + ".certificate_chain");
        PrivateKey key = TlsMaterial.privateKey(keyPem, kpath + ".private_key");
        TlsMaterial.requireKeyOf(chain.getFirst(), key, kpath);
        List<String> alpn = common.getAlpnProtocolsCount() == 0 ? DEFAULT_ALPN : common.getAlpnProtocolsList();
        try {
            SslContextBuilder builder = SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new));
            if (!clientCas.isEmpty()) {
                // As Envoy: with trusted_ca a client certificate is verified when sent, and required only if asked
                if (clientNames.entries().isEmpty() && clientPins.isEmpty() && clientCrls.isEmpty()) {
                    builder.trustManager(clientCas.toArray(X509Certificate[]::new));
                } else {
                    builder.trustManager(new PeerCertificateTrustManager(
                            PeerCertificateTrustManager.Peer.CLIENTS, clientCas, clientCrls, clientNames, clientPins));
                }
                builder.clientAuth(requireClientCertificate ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
            }
            SslContext context = builder.sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            alpn))
                    .build();
            return new DownstreamTls(
                    context, alpn, chain.getFirst().getSubjectX500Principal().getName(), requireClientCertificate);
        } catch (Exception e) {
            throw FieldGuard.invalid(kpath, "cannot make a TLS server context: " + e.getMessage());
        }
    }
}
