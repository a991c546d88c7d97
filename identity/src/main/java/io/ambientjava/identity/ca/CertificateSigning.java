package io.ambientjava.identity.ca;

import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Serial numbers and signatures shared by the root and leaf paths of the CA. */
final class CertificateSigning {

    private static final SecureRandom RANDOM = new SecureRandom();

    private CertificateSigning() {}

    /** A positive random 127-bit serial: unpredictable, and within RFC 5280's 20-octet limit. */
    static BigInteger randomSerial() {
        return new BigInteger(127, RANDOM).setBit(126);
    }

    static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signingKey) {
        try {
            X509CertificateHolder holder =
                    builder.build(new JcaContentSignerBuilder(signatureAlgorithm(signingKey)).build(signingKey));
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (OperatorCreationException | CertificateException e) {
            throw new IllegalStateException("cannot sign certificate with " + signingKey.getAlgorithm() + " key", e);
        }
    }

    static String signatureAlgorithm(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default ->
                throw new IllegalArgumentException("CA key algorithm " + key.getAlgorithm() + " is not supported");
        };
    }
}
