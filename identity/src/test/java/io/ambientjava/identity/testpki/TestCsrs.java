package io.ambientjava.identity.testpki;

import io.ambientjava.identity.pem.Pem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.KeyPair;
import java.util.List;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** CSRs shaped the way a misbehaving or malicious client might send them. */
public final class TestCsrs {

    private TestCsrs() {}

    /** A correctly signed CSR asking for exactly {@code sans} (none when empty). */
    public static String csrWithSans(KeyPair keyPair, List<GeneralName> sans) {
        return Pem.writeCsr(build(keyPair, sans));
    }

    public static String csrWithUris(KeyPair keyPair, String... uris) {
        return csrWithSans(
                keyPair,
                java.util.Arrays.stream(uris)
                        .map(uri -> new GeneralName(GeneralName.uniformResourceIdentifier, uri))
                        .toList());
    }

    /** The request body of one CSR with the signature of another: a signature that does not verify. */
    public static String csrWithForeignSignature(KeyPair keyPair, KeyPair otherKeyPair, String uri) {
        PKCS10CertificationRequest mine = build(keyPair, List.of(uri(uri)));
        PKCS10CertificationRequest theirs = build(otherKeyPair, List.of(uri(uri)));
        CertificationRequest forged = new CertificationRequest(
                mine.toASN1Structure().getCertificationRequestInfo(),
                mine.getSignatureAlgorithm(),
                new DERBitString(theirs.getSignature()));
        return Pem.writeCsr(new PKCS10CertificationRequest(forged));
    }

    public static GeneralName uri(String uri) {
        return new GeneralName(GeneralName.uniformResourceIdentifier, uri);
    }

    private static PKCS10CertificationRequest build(KeyPair keyPair, List<GeneralName> sans) {
        try {
            var builder = new JcaPKCS10CertificationRequestBuilder(new X500Name(new RDN[0]), keyPair.getPublic());
            if (!sans.isEmpty()) {
                ExtensionsGenerator extensions = new ExtensionsGenerator();
                extensions.addExtension(
                        Extension.subjectAlternativeName, true, new GeneralNames(sans.toArray(GeneralName[]::new)));
                builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
            }
            String algorithm = keyPair.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            return builder.build(new JcaContentSignerBuilder(algorithm).build(keyPair.getPrivate()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }
}
