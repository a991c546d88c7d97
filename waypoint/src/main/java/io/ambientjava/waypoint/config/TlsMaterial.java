package io.ambientjava.waypoint.config;

import io.ambientjava.identity.keys.KeyPairCheck;
import io.ambientjava.identity.pem.Pem;
import io.ambientjava.identity.pem.PemException;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;

/**
 * PEM certificates and keys from Envoy {@code DataSource}s, read by the mesh's own {@link Pem} (keys as PKCS#8,
 * PKCS#1 RSA or SEC1 EC, as Kubernetes TLS Secrets hold them). Each failure names the field.
 */
final class TlsMaterial {

    private TlsMaterial() {}

    /** Inline PEM only ({@code inline_bytes}, {@code inline_string}): a listener's certificates come from Secrets. */
    static String inline(DataSource source, String path) {
        FieldGuard.onlyFields(source, path, Set.of("inline_bytes", "inline_string"));
        return pem(source, path);
    }

    /**
     * Inline PEM or a {@code filename} read now (Istio's {@code caCertificates}, {@code clientCertificate} and
     * {@code privateKey} are paths on the proxy, and its default for verifying a server is the system CA bundle).
     */
    static String inlineOrFile(DataSource source, String path) {
        FieldGuard.onlyFields(source, path, Set.of("inline_bytes", "inline_string", "filename"));
        if (source.getSpecifierCase() == DataSource.SpecifierCase.FILENAME) {
            try {
                return Files.readString(Path.of(source.getFilename()), StandardCharsets.US_ASCII);
            } catch (IOException | RuntimeException e) {
                throw FieldGuard.invalid(
                        path + ".filename", "cannot read '" + source.getFilename() + "': " + e.getMessage());
            }
        }
        return pem(source, path);
    }

    private static String pem(DataSource source, String path) {
        String pem = switch (source.getSpecifierCase()) {
            case INLINE_BYTES -> source.getInlineBytes().toString(StandardCharsets.US_ASCII);
            case INLINE_STRING -> source.getInlineString();
            default -> "";
        };
        if (pem.isBlank()) {
            throw FieldGuard.invalid(path, "needs inline_bytes or inline_string (PEM)");
        }
        return pem;
    }

    static List<X509Certificate> certificates(String pem, String path) {
        try {
            List<X509Certificate> certificates = Pem.readCertificates(pem);
            if (certificates.isEmpty()) {
                throw FieldGuard.invalid(path, "holds no PEM certificate");
            }
            return certificates;
        } catch (PemException e) {
            throw FieldGuard.invalid(path, "not a PEM certificate chain: " + e.getMessage());
        }
    }

    /** A validation context's {@code crl} (inline or a file), parsed; none when it has no {@code crl}. */
    static List<java.security.cert.X509CRL> crls(
            io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext validation,
            String validationPath) {
        if (!validation.hasCrl()) {
            return List.of();
        }
        String path = validationPath + ".crl";
        return crls(inlineOrFile(validation.getCrl(), path), path);
    }

    /** PEM {@code X509 CRL} blocks; at least one, each parsed. */
    static List<java.security.cert.X509CRL> crls(String pem, String path) {
        try {
            var factory = java.security.cert.CertificateFactory.getInstance("X.509");
            List<java.security.cert.X509CRL> crls = new java.util.ArrayList<>();
            for (var crl : factory.generateCRLs(
                    new java.io.ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))) {
                crls.add((java.security.cert.X509CRL) crl);
            }
            if (crls.isEmpty()) {
                throw FieldGuard.invalid(path, "holds no PEM certificate revocation list");
            }
            return crls;
        } catch (java.security.cert.CRLException | java.security.cert.CertificateException e) {
            throw FieldGuard.invalid(path, "not a PEM certificate revocation list: " + e.getMessage());
        }
    }

    static PrivateKey privateKey(String pem, String path) {
        try {
            return Pem.readPrivateKey(pem);
        } catch (PemException e) {
            throw FieldGuard.invalid(path, "not a PEM private key: " + e.getMessage());
        }
    }

    /** @param path the {@code tls_certificates[i]} entry */
    static void requireKeyOf(X509Certificate leaf, PrivateKey key, String path) {
        boolean belongs;
        try {
            belongs = KeyPairCheck.belongsTo(key, leaf);
        } catch (IllegalArgumentException e) {
            throw FieldGuard.invalid(path + ".private_key", e.getMessage());
        }
        if (!belongs) {
            throw FieldGuard.invalid(
                    path,
                    "the private key does not belong to the certificate "
                            + leaf.getSubjectX500Principal().getName());
        }
    }
}
