package io.ambientjava.identity.testpki;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.csr.CsrGenerator;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A CA built directly with BouncyCastle, independent of the production CA, so tests can make the
 * certificates production code must refuse: expired, not yet valid, two URI SANs, foreign roots.
 *
 * @param chain this authority's certificate first, the root last
 */
public record TestAuthority(KeyPair keyPair, List<X509Certificate> chain) {

    private static final AtomicLong SERIALS = new AtomicLong(1000);

    public TestAuthority {
        chain = List.copyOf(chain);
    }

    public static TestAuthority root(String commonName) {
        KeyPair keyPair = CsrGenerator.newP256KeyPair();
        Instant now = Instant.now();
        X509Certificate certificate = build(
                name(commonName),
                name(commonName),
                keyPair.getPublic(),
                keyPair,
                now.minus(Duration.ofHours(1)),
                now.plus(Duration.ofDays(365)),
                true,
                List.of());
        return new TestAuthority(keyPair, List.of(certificate));
    }

    public X509Certificate certificate() {
        return chain.getFirst();
    }

    public X509Certificate rootCertificate() {
        return chain.getLast();
    }

    public TrustBundle trustBundle() {
        return new TrustBundle(List.of(rootCertificate()));
    }

    public TestAuthority intermediate(String commonName) {
        return intermediate(
                commonName,
                Instant.now().minus(Duration.ofHours(1)),
                Instant.now().plus(Duration.ofDays(30)));
    }

    public TestAuthority intermediate(String commonName, Instant notBefore, Instant notAfter) {
        KeyPair keyPair = CsrGenerator.newP256KeyPair();
        X509Certificate certificate = build(
                subjectOf(certificate()),
                name(commonName),
                keyPair.getPublic(),
                this.keyPair,
                notBefore,
                notAfter,
                true,
                List.of());
        List<X509Certificate> newChain = new ArrayList<>();
        newChain.add(certificate);
        newChain.addAll(chain);
        return new TestAuthority(keyPair, newChain);
    }

    /** A leaf valid from an hour ago for a day, with one URI SAN. */
    public WorkloadCertificate leaf(SpiffeId identity) {
        Instant now = Instant.now();
        return leaf(
                identity, List.of(identity.toString()), now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)));
    }

    /** A leaf with exactly the given URI SANs and validity; {@code identity} is just the record's label. */
    public WorkloadCertificate leaf(SpiffeId identity, List<String> uris, Instant notBefore, Instant notAfter) {
        KeyPair leafKey = CsrGenerator.newP256KeyPair();
        X509Certificate certificate = build(
                subjectOf(certificate()),
                // X.509 needs a subject or a SAN; a SAN-less test leaf gets a plain name.
                uris.isEmpty() ? name("no-san-leaf") : new X500Name(new RDN[0]),
                leafKey.getPublic(),
                keyPair,
                notBefore,
                notAfter,
                false,
                uris);
        List<X509Certificate> leafChain = new ArrayList<>();
        leafChain.add(certificate);
        leafChain.addAll(chain);
        return new WorkloadCertificate(identity, leafKey.getPrivate(), leafChain);
    }

    private static X509Certificate build(
            X500Name issuer,
            X500Name subject,
            PublicKey publicKey,
            KeyPair signer,
            Instant notBefore,
            Instant notAfter,
            boolean ca,
            List<String> uris) {
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    issuer,
                    BigInteger.valueOf(SERIALS.incrementAndGet()),
                    Date.from(notBefore),
                    Date.from(notAfter),
                    subject,
                    publicKey);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (ca) {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                builder.addExtension(
                        Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                    KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                }));
            }
            if (!uris.isEmpty()) {
                builder.addExtension(
                        Extension.subjectAlternativeName,
                        true,
                        new GeneralNames(uris.stream().map(TestCsrs::uri).toArray(GeneralName[]::new)));
            }
            return new JcaX509CertificateConverter()
                    .getCertificate(
                            builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException("test certificate", e);
        }
    }

    private static X500Name name(String commonName) {
        return new X500Name("CN=" + commonName);
    }

    private static X500Name subjectOf(X509Certificate certificate) {
        return X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    }
}
