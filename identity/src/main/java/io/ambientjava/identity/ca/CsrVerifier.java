package io.ambientjava.identity.ca;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.pem.Pem;
import io.ambientjava.identity.pem.PemException;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;

/** Checks a CSR before the CA signs it, and yields the public key to certify. */
final class CsrVerifier {

    private static final int MIN_RSA_BITS = 2048;

    private CsrVerifier() {}

    static PublicKey verify(String csrPem, SpiffeId requested) {
        PKCS10CertificationRequest csr;
        try {
            csr = Pem.readCsr(csrPem);
        } catch (PemException e) {
            throw new CertificateRequestException("malformed CSR: " + e.getMessage(), e);
        }
        PublicKey publicKey = publicKey(csr.getSubjectPublicKeyInfo());
        checkSignature(csr, publicKey);
        checkRequestedNames(csr, requested);
        return publicKey;
    }

    private static PublicKey publicKey(SubjectPublicKeyInfo info) {
        ASN1ObjectIdentifier oid = info.getAlgorithm().getAlgorithm();
        String algorithm;
        if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            algorithm = "EC";
        } else if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
            algorithm = "RSA";
        } else {
            throw new CertificateRequestException("CSR key algorithm " + oid + " is not supported (use ECDSA or RSA)");
        }
        PublicKey key;
        try {
            key = KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(info.getEncoded()));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new CertificateRequestException(
                    "CSR carries an unreadable " + algorithm + " key: " + e.getMessage(), e);
        }
        if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            throw new CertificateRequestException("CSR RSA key has "
                    + rsa.getModulus().bitLength() + " bits; at least " + MIN_RSA_BITS + " are required");
        }
        return key;
    }

    private static void checkSignature(PKCS10CertificationRequest csr, PublicKey publicKey) {
        boolean valid;
        try {
            valid = csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey));
        } catch (OperatorCreationException | PKCSException | RuntimeException e) {
            throw new CertificateRequestException("cannot verify CSR signature: " + e.getMessage(), e);
        }
        if (!valid) {
            throw new CertificateRequestException("CSR signature does not verify against the CSR's own public key");
        }
    }

    private static void checkRequestedNames(PKCS10CertificationRequest csr, SpiffeId requested) {
        List<String> uris = new ArrayList<>();
        List<String> others = new ArrayList<>();
        for (Attribute attribute : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
            for (ASN1Encodable value : attribute.getAttributeValues()) {
                GeneralNames names;
                try {
                    names = GeneralNames.fromExtensions(
                            Extensions.getInstance(value), Extension.subjectAlternativeName);
                } catch (RuntimeException e) {
                    throw new CertificateRequestException(
                            "CSR has a malformed extension request: " + e.getMessage(), e);
                }
                if (names == null) {
                    continue;
                }
                for (GeneralName name : names.getNames()) {
                    if (name.getTagNo() == GeneralName.uniformResourceIdentifier) {
                        uris.add(ASN1IA5String.getInstance(name.getName()).getString());
                    } else {
                        others.add(describe(name));
                    }
                }
            }
        }
        if (!others.isEmpty()) {
            throw new CertificateRequestException("CSR requests SANs " + others + " besides URI SANs; only the URI SAN "
                    + requested + " may be requested");
        }
        if (uris.size() > 1) {
            throw new CertificateRequestException("CSR requests " + uris.size() + " URI SANs " + uris
                    + "; exactly one, " + requested + ", is allowed");
        }
        if (uris.size() == 1 && !uris.getFirst().equals(requested.toString())) {
            throw new CertificateRequestException(
                    "CSR requests URI SAN " + uris.getFirst() + " but the identity being certified is " + requested);
        }
    }

    private static String describe(GeneralName name) {
        String kind = switch (name.getTagNo()) {
            case GeneralName.dNSName -> "DNS";
            case GeneralName.iPAddress -> "IP";
            case GeneralName.rfc822Name -> "email";
            case GeneralName.directoryName -> "dirName";
            default -> "tag" + name.getTagNo();
        };
        if (name.getTagNo() == GeneralName.iPAddress) {
            try {
                byte[] octets = org.bouncycastle.asn1.ASN1OctetString.getInstance(name.getName())
                        .getOctets();
                return kind + ":" + java.net.InetAddress.getByAddress(octets).getHostAddress();
            } catch (java.net.UnknownHostException | RuntimeException e) {
                return kind + ":?";
            }
        }
        return kind + ":" + name.getName();
    }
}
