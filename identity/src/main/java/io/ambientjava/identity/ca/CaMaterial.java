package io.ambientjava.identity.ca;

import io.ambientjava.identity.keys.KeyPairCheck;
import io.ambientjava.identity.pem.Pem;
import io.ambientjava.identity.pem.PemException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;

/**
 * The CA's signing key with its certificate chain: the signing certificate first, then any intermediates,
 * the root last (a self-signed root CA has a one-element chain).
 */
record CaMaterial(PrivateKey signingKey, List<X509Certificate> chain) {

    CaMaterial {
        Objects.requireNonNull(signingKey, "signingKey");
        chain = List.copyOf(chain);
    }

    X509Certificate signingCertificate() {
        return chain.getFirst();
    }

    X509Certificate root() {
        return chain.getLast();
    }

    /**
     * Loads Istio-style plugged-in CA files and checks they fit together: the key belongs to the
     * certificate, the certificate is a CA, each certificate is signed by the next, and the chain ends at
     * a self-signed root.
     */
    static CaMaterial load(Path caCert, Path caKey, Path certChain, Path rootCert, Instant now) {
        return load(read(caCert), read(caKey), read(certChain), read(rootCert), now);
    }

    /**
     * PEM text (with the name error messages give it, e.g. its file) of one part of a CA; {@code null} parts are
     * optional ones not given.
     */
    record PemText(String name, String text) {}

    /** As {@link #load(Path, Path, Path, Path, Instant)}, from PEM text (a Secret's data, say) rather than files. */
    static CaMaterial load(PemText caCert, PemText caKey, PemText certChain, PemText rootCert, Instant now) {
        X509Certificate signing = single(caCert);
        PrivateKey key;
        try {
            key = Pem.readPrivateKey(caKey.text());
        } catch (PemException e) {
            throw new IllegalArgumentException("CA key: " + caKey.name() + ": " + e.getMessage(), e);
        }
        checkKeyMatches(signing, key, caCert, caKey);
        checkIsCa(signing, caCert);

        List<X509Certificate> chain = new ArrayList<>();
        chain.add(signing);
        if (certChain != null) {
            for (X509Certificate certificate : certificates(certChain)) {
                if (!chain.contains(certificate)) {
                    chain.add(certificate);
                }
            }
        }
        if (rootCert != null) {
            X509Certificate root = single(rootCert);
            if (!isSelfSigned(root)) {
                throw new IllegalArgumentException(rootCert.name() + ": root certificate "
                        + root.getSubjectX500Principal() + " is not self-signed");
            }
            if (!chain.getLast().equals(root)) {
                chain.add(root);
            }
        } else if (!isSelfSigned(chain.getLast())) {
            throw new IllegalArgumentException(
                    "no root certificate: " + chain.getLast().getSubjectX500Principal()
                            + " is not self-signed; pass the root (root-cert.pem) or a cert-chain.pem ending at it");
        }
        checkLinks(chain);
        for (X509Certificate certificate : chain) {
            checkValid(certificate, now);
        }
        return new CaMaterial(key, chain);
    }

    private static PemText read(Path file) {
        if (file == null) {
            return null;
        }
        try {
            return new PemText(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static X509Certificate single(PemText file) {
        List<X509Certificate> certificates = certificates(file);
        if (certificates.size() != 1) {
            throw new IllegalArgumentException(
                    file.name() + ": expected exactly one certificate but found " + certificates.size());
        }
        return certificates.getFirst();
    }

    private static List<X509Certificate> certificates(PemText file) {
        try {
            return Pem.readCertificates(file.text());
        } catch (PemException e) {
            throw new IllegalArgumentException(file.name() + ": " + e.getMessage(), e);
        }
    }

    private static void checkKeyMatches(X509Certificate certificate, PrivateKey key, PemText caCert, PemText caKey) {
        CertificateSigning.signatureAlgorithm(key); // a key the CA cannot sign with is refused as before
        if (!KeyPairCheck.belongsTo(key, certificate)) {
            throw new IllegalArgumentException(caKey.name() + " is not the private key of " + caCert.name());
        }
    }

    private static void checkIsCa(X509Certificate certificate, PemText file) {
        if (certificate.getBasicConstraints() < 0) {
            throw new IllegalArgumentException(file.name() + ": " + certificate.getSubjectX500Principal()
                    + " is not a CA certificate (basicConstraints CA:false or missing)");
        }
        boolean[] keyUsage = certificate.getKeyUsage();
        if (keyUsage != null && !keyUsage[5]) {
            throw new IllegalArgumentException(
                    file.name() + ": " + certificate.getSubjectX500Principal() + " lacks the keyCertSign key usage");
        }
    }

    private static void checkLinks(List<X509Certificate> chain) {
        for (int i = 0; i + 1 < chain.size(); i++) {
            X509Certificate child = chain.get(i);
            X509Certificate parent = chain.get(i + 1);
            try {
                child.verify(parent.getPublicKey());
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException(
                        "CA chain broken: " + child.getSubjectX500Principal() + " is not signed by "
                                + parent.getSubjectX500Principal(),
                        e);
            }
        }
    }

    private static void checkValid(X509Certificate certificate, Instant now) {
        Date at = Date.from(now);
        if (at.before(certificate.getNotBefore()) || at.after(certificate.getNotAfter())) {
            throw new IllegalArgumentException("CA certificate " + certificate.getSubjectX500Principal()
                    + " is not valid now (" + now + "): valid from "
                    + certificate.getNotBefore().toInstant()
                    + " to " + certificate.getNotAfter().toInstant());
        }
    }

    static boolean isSelfSigned(X509Certificate certificate) {
        if (!certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
            return false;
        }
        try {
            certificate.verify(certificate.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
