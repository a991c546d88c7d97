package io.ambientjava.identity.csr;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.pem.Pem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Objects;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Makes a key pair and a PKCS#10 CSR asking for one SPIFFE identity, the way ztunnel asks a CA
 * (Istio's {@code CreateCertificate}) for a workload certificate: empty subject, the SPIFFE ID as the
 * only (critical) URI SAN, signed with the new key.
 */
public final class CsrGenerator {

    private CsrGenerator() {}

    /** A new ECDSA P-256 key and a CSR for {@code identity}. */
    public static GeneratedCsr generate(SpiffeId identity) {
        return generate(identity, newP256KeyPair());
    }

    /** A CSR for {@code identity} over an existing key pair (ECDSA or RSA). */
    public static GeneratedCsr generate(SpiffeId identity, KeyPair keyPair) {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(keyPair, "keyPair");
        try {
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(
                    Extension.subjectAlternativeName,
                    true,
                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, identity.toString())));
            PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(
                            new X500Name(new org.bouncycastle.asn1.x500.RDN[0]), keyPair.getPublic())
                    .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
                    .build(new JcaContentSignerBuilder(signatureAlgorithm(keyPair)).build(keyPair.getPrivate()));
            return new GeneratedCsr(identity, keyPair.getPrivate(), Pem.writeCsr(csr));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException(
                    "cannot sign CSR with a " + keyPair.getPrivate().getAlgorithm() + " key", e);
        }
    }

    /** A new ECDSA key on NIST P-256, the key type Istio uses for workload certificates. */
    public static KeyPair newP256KeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot generate P-256 keys", e);
        }
    }

    /** SHA-256 with the key's own algorithm: ECDSA or RSA. */
    private static String signatureAlgorithm(KeyPair keyPair) {
        return switch (keyPair.getPrivate().getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default ->
                throw new IllegalArgumentException(
                        "unsupported key algorithm " + keyPair.getPrivate().getAlgorithm() + " (use EC or RSA)");
        };
    }
}
