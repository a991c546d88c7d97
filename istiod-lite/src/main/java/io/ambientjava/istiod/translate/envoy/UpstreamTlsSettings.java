package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.Any;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettingsTLSmode;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A DestinationRule's {@code tls} as the cluster's {@code transport_socket}, for the TLS a waypoint or gateway
 * originates to the service's endpoints. {@code SIMPLE}: the server is verified against {@code caCertificates} (a
 * file on the proxy), the {@code ca.crt} of the {@code credentialName} Secret (in the proxy's namespace, or its
 * {@code -cacert} companion), or else the system's CA bundle, as Istio verifies by default; {@code insecureSkipVerify}
 * checks nothing. {@code subjectAltNames}: one of the server certificate's names must equal one of them. {@code sni}
 * is sent as given. {@code MUTUAL} adds the client certificate and key: {@code clientCertificate}/{@code privateKey}
 * files or the Secret's {@code tls.crt}/{@code tls.key}. {@code DISABLE} and {@code ISTIO_MUTUAL} originate nothing
 * (in ambient the hop to a mesh pod is HBONE mTLS already).
 */
final class UpstreamTlsSettings {

    /** Where Istio's proxies find the system's trusted CAs on Debian-based images. */
    static final String SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

    private UpstreamTlsSettings() {}

    static Optional<TransportSocket> transportSocket(
            ClientTLSSettings tls,
            String proxyNamespace,
            boolean http2,
            ConfigSnapshot snapshot,
            Consumer<String> warn) {
        if (tls == null
                || tls.getMode() == null
                || tls.getMode() == ClientTLSSettingsTLSmode.DISABLE
                || tls.getMode() == ClientTLSSettingsTLSmode.ISTIO_MUTUAL) {
            return Optional.empty();
        }
        boolean mutual = tls.getMode() == ClientTLSSettingsTLSmode.MUTUAL;
        String credential = blankToNull(tls.getCredentialName());
        CommonTlsContext.Builder common = CommonTlsContext.newBuilder();
        if (!Boolean.TRUE.equals(tls.getInsecureSkipVerify())) {
            CertificateValidationContext.Builder validation = CertificateValidationContext.newBuilder();
            if (blankToNull(tls.getCaCertificates()) != null) {
                validation.setTrustedCa(file(tls.getCaCertificates()));
            } else if (credential != null) {
                Optional<String> ca = GatewayCredential.certificateAuthority(snapshot, proxyNamespace, credential);
                if (ca.isEmpty()) {
                    warn.accept("tls.credentialName: no ca.crt in secret " + proxyNamespace + "/" + credential
                            + " or " + proxyNamespace + "/" + credential + "-cacert; the server is checked against"
                            + " the system's CAs");
                }
                validation.setTrustedCa(ca.map(ListenerTranslator::inline).orElseGet(() -> file(SYSTEM_CA_BUNDLE)));
            } else {
                validation.setTrustedCa(file(SYSTEM_CA_BUNDLE));
            }
            for (String name : MeshServices.listOrEmpty(tls.getSubjectAltNames())) {
                validation.addAllMatchTypedSubjectAltNames(ListenerTranslator.anyTypeNamed(name));
            }
            if (blankToNull(tls.getCaCrl()) != null) {
                validation.setCrl(file(tls.getCaCrl())); // a file on the proxy, as caCertificates
            }
            common.setValidationContext(validation);
        } else {
            if (!MeshServices.listOrEmpty(tls.getSubjectAltNames()).isEmpty()) {
                warn.accept("tls.subjectAltNames are not checked: insecureSkipVerify is set");
            }
            if (blankToNull(tls.getCaCrl()) != null) {
                warn.accept("tls.caCrl is not checked: insecureSkipVerify is set");
            }
        }
        if (mutual) {
            clientCertificate(tls, credential, proxyNamespace, snapshot, warn).ifPresent(common::addTlsCertificates);
        }
        if (http2) {
            common.addAlpnProtocols("h2");
        }
        UpstreamTlsContext.Builder context = UpstreamTlsContext.newBuilder().setCommonTlsContext(common);
        if (blankToNull(tls.getSni()) != null) {
            context.setSni(tls.getSni());
        }
        return Optional.of(TransportSocket.newBuilder()
                .setName(EnvoyNames.TLS_TRANSPORT_SOCKET)
                .setTypedConfig(Any.pack(context.build()))
                .build());
    }

    private static Optional<TlsCertificate> clientCertificate(
            ClientTLSSettings tls,
            String credential,
            String proxyNamespace,
            ConfigSnapshot snapshot,
            Consumer<String> warn) {
        if (blankToNull(tls.getClientCertificate()) != null && blankToNull(tls.getPrivateKey()) != null) {
            return Optional.of(TlsCertificate.newBuilder()
                    .setCertificateChain(file(tls.getClientCertificate()))
                    .setPrivateKey(file(tls.getPrivateKey()))
                    .build());
        }
        if (credential != null) {
            // without a usable certificate TLS still goes out, without one, rather than the bytes in the clear
            return GatewayCredential.resolve(snapshot, proxyNamespace, credential, warn)
                    .map(c -> TlsCertificate.newBuilder()
                            .setCertificateChain(ListenerTranslator.inline(c.certificateChainPem()))
                            .setPrivateKey(ListenerTranslator.inline(c.privateKeyPem()))
                            .build());
        }
        warn.accept("tls.mode MUTUAL needs a client certificate: clientCertificate and privateKey, or credentialName;"
                + " TLS is originated without one");
        return Optional.empty();
    }

    private static DataSource file(String path) {
        return DataSource.newBuilder().setFilename(path).build();
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
