package io.ambientjava.identity.ca;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.csr.CsrGenerator;
import io.ambientjava.identity.csr.GeneratedCsr;
import io.ambientjava.identity.pem.Pem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

/**
 * The mesh certificate authority: signs workload CSRs with a self-signed root or a plugged-in
 * intermediate, the way istiod's CA does.
 *
 * <p>Workload certificates have an empty subject, exactly one (critical) URI SAN holding the SPIFFE ID,
 * key usage digitalSignature + keyEncipherment, extended key usage serverAuth + clientAuth, a random
 * serial, notBefore set back by {@link CaOptions#clockSkew()}, and notAfter = now + TTL, capped by
 * {@link CaOptions#maxTtl()} and by the CA certificate's own expiry. Chains are returned leaf first, root
 * last. Instances are immutable and thread-safe.
 */
public final class MeshCertificateAuthority {

    /** Lifetime of a root made by {@link #createSelfSigned}. */
    public static final Duration SELF_SIGNED_ROOT_LIFETIME = Duration.ofDays(3650);

    private static final Pattern DNS_NAME = Pattern.compile(
            "(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*",
            Pattern.CASE_INSENSITIVE);

    private static final String CA_CERT = "ca-cert.pem";
    private static final String CA_KEY = "ca-key.pem";
    private static final String CERT_CHAIN = "cert-chain.pem";
    private static final String ROOT_CERT = "root-cert.pem";

    private final String trustDomain;
    private final CaMaterial material;
    private final TrustBundle trustBundle;
    private final CaOptions options;

    private MeshCertificateAuthority(String trustDomain, CaMaterial material, CaOptions options) {
        this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
        this.material = material;
        this.trustBundle = new TrustBundle(List.of(material.root()));
        this.options = Objects.requireNonNull(options, "options");
    }

    /** A new ECDSA P-256 root, valid for ten years, as istiod makes when no CA is plugged in. */
    public static MeshCertificateAuthority createSelfSigned(String trustDomain) {
        return createSelfSigned(trustDomain, CaOptions.defaults());
    }

    public static MeshCertificateAuthority createSelfSigned(String trustDomain, CaOptions options) {
        checkTrustDomain(trustDomain);
        KeyPair keyPair = CsrGenerator.newP256KeyPair();
        Instant now = options.clock().instant();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, trustDomain)
                .addRDN(BCStyle.CN, "ambient-java root CA")
                .build();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                subject,
                CertificateSigning.randomSerial(),
                Date.from(now.minus(options.clockSkew())),
                Date.from(now.plus(SELF_SIGNED_ROOT_LIFETIME)),
                subject,
                keyPair.getPublic());
        try {
            JcaX509ExtensionUtils extensionUtils = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(
                    Extension.keyUsage,
                    true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            builder.addExtension(
                    Extension.subjectKeyIdentifier,
                    false,
                    extensionUtils.createSubjectKeyIdentifier(keyPair.getPublic()));
        } catch (CertIOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot build root certificate", e);
        }
        X509Certificate root = CertificateSigning.sign(builder, keyPair.getPrivate());
        return new MeshCertificateAuthority(trustDomain, new CaMaterial(keyPair.getPrivate(), List.of(root)), options);
    }

    /**
     * A CA from Istio-style plugged-in certificates ({@code cacerts}): {@code ca-cert.pem} (the signing
     * certificate, a root or an intermediate), {@code ca-key.pem}, optionally {@code cert-chain.pem} (the
     * signing certificate's chain up to the root, with or without the signing certificate itself) and
     * {@code root-cert.pem}. Issued chains then carry the intermediates and end with the root.
     *
     * @throws IllegalArgumentException when a file cannot be read as expected or the files do not fit
     *     together (wrong key, not a CA, broken chain, no root, expired); the message names the file
     * @throws UncheckedIOException when a file cannot be read at all
     */
    public static MeshCertificateAuthority fromPem(
            Path caCert, Path caKey, Path certChain, Path rootCert, String trustDomain) {
        return fromPem(caCert, caKey, certChain, rootCert, trustDomain, CaOptions.defaults());
    }

    public static MeshCertificateAuthority fromPem(
            Path caCert, Path caKey, Path certChain, Path rootCert, String trustDomain, CaOptions options) {
        Objects.requireNonNull(caCert, "caCert");
        Objects.requireNonNull(caKey, "caKey");
        checkTrustDomain(trustDomain);
        CaMaterial material = CaMaterial.load(
                caCert, caKey, certChain, rootCert, options.clock().instant());
        return new MeshCertificateAuthority(trustDomain, material, options);
    }

    /**
     * The CA from the PEM text of Istio's {@code cacerts} files, by file name ({@code ca-cert.pem} and
     * {@code ca-key.pem} required, {@code cert-chain.pem} and {@code root-cert.pem} optional), as {@link #pemFiles}
     * gives them; {@code source} names where they came from in error messages.
     *
     * @throws IllegalArgumentException as {@link #fromPem(Path, Path, Path, Path, String)}, or when a required file
     *     is missing
     */
    public static MeshCertificateAuthority fromPem(Map<String, String> files, String source, String trustDomain) {
        checkTrustDomain(trustDomain);
        for (String required : List.of(CA_CERT, CA_KEY)) {
            if (!files.containsKey(required)) {
                throw new IllegalArgumentException(source + " has no " + required);
            }
        }
        CaOptions options = CaOptions.defaults();
        CaMaterial material = CaMaterial.load(
                text(files, CA_CERT, source),
                text(files, CA_KEY, source),
                text(files, CERT_CHAIN, source),
                text(files, ROOT_CERT, source),
                options.clock().instant());
        return new MeshCertificateAuthority(trustDomain, material, options);
    }

    private static CaMaterial.PemText text(Map<String, String> files, String name, String source) {
        String text = files.get(name);
        return text == null ? null : new CaMaterial.PemText(source + " " + name, text);
    }

    /**
     * This CA in Istio's {@code cacerts} layout, file name to PEM text: {@code ca-cert.pem}, {@code ca-key.pem},
     * {@code cert-chain.pem}, {@code root-cert.pem}; {@link #fromPem(Map, String, String)} reads it back.
     */
    public Map<String, String> pemFiles() {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(CA_CERT, Pem.writeCertificate(material.signingCertificate()));
        files.put(CA_KEY, Pem.writePrivateKey(material.signingKey()));
        files.put(CERT_CHAIN, Pem.writeCertificates(material.chain()));
        files.put(ROOT_CERT, Pem.writeCertificate(material.root()));
        return files;
    }

    /** The same CA key and chain with other options (for example a different clock). */
    public MeshCertificateAuthority withOptions(CaOptions options) {
        return new MeshCertificateAuthority(trustDomain, material, options);
    }

    public String trustDomain() {
        return trustDomain;
    }

    public CaOptions options() {
        return options;
    }

    /** The roots that verify every certificate this CA issues. */
    public TrustBundle trustBundle() {
        return trustBundle;
    }

    /** The CA's own chain: the signing certificate first, the root last. */
    public List<X509Certificate> caChain() {
        return material.chain();
    }

    /** Signs {@code csrPem} for {@code requested} with the default TTL. */
    public List<X509Certificate> sign(String csrPem, SpiffeId requested) {
        return sign(csrPem, requested, options.defaultTtl());
    }

    /**
     * Verifies the CSR and issues a certificate for {@code requested}.
     *
     * @param csrPem a PEM PKCS#10 request signed by its own ECDSA or RSA (2048+ bits) key; any URI SAN it
     *     asks for must be exactly {@code requested}, and it may ask for no other SAN
     * @param ttl the lifetime asked for; zero or {@code null} means the default, longer than the maximum is
     *     shortened to the maximum
     * @return the chain, leaf first, root last
     * @throws CertificateRequestException when the CSR is malformed, badly signed, or asks for another identity
     * @throws IllegalArgumentException when {@code requested} is outside this CA's trust domain or {@code ttl} is
     *     negative
     */
    public List<X509Certificate> sign(String csrPem, SpiffeId requested, Duration ttl) {
        return sign(csrPem, requested, List.of(), ttl);
    }

    private List<X509Certificate> sign(String csrPem, SpiffeId requested, List<String> dnsNames, Duration ttl) {
        Objects.requireNonNull(requested, "requested");
        if (!requested.trustDomain().equals(trustDomain)) {
            throw new IllegalArgumentException(
                    "identity " + requested + " is outside this CA's trust domain " + trustDomain);
        }
        Duration lifetime = effectiveTtl(ttl);
        PublicKey publicKey = CsrVerifier.verify(csrPem, requested);
        X509Certificate leaf = issueLeaf(publicKey, requested, dnsNames, lifetime);
        List<X509Certificate> chain = new ArrayList<>(material.chain().size() + 1);
        chain.add(leaf);
        chain.addAll(material.chain());
        return List.copyOf(chain);
    }

    /** A new P-256 key and certificate for {@code id} with the default TTL. */
    public WorkloadCertificate issue(SpiffeId id) {
        return issue(id, options.defaultTtl());
    }

    public WorkloadCertificate issue(SpiffeId id, Duration ttl) {
        return issue(id, List.of(), ttl);
    }

    /**
     * A new P-256 key and a certificate for {@code id} that also names {@code dnsNames}: for a server that clients
     * reach by a host name and verify by it, as the API server does a webhook ({@code istiod.istio-system.svc}).
     * Only istiod-lite itself issues these; the CA API never signs a CSR asking for DNS names.
     *
     * @throws IllegalArgumentException when a name is not a DNS name (letters, digits, hyphens and dots; no
     *     wildcard)
     */
    public WorkloadCertificate issue(SpiffeId id, List<String> dnsNames, Duration ttl) {
        for (String name : dnsNames) {
            if (!DNS_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("not a DNS name for a certificate: '" + name + "'");
            }
        }
        GeneratedCsr csr = CsrGenerator.generate(id);
        return new WorkloadCertificate(id, csr.privateKey(), sign(csr.csrPem(), id, List.copyOf(dnsNames), ttl));
    }

    /**
     * Writes this CA in Istio's {@code cacerts} layout ({@code ca-cert.pem}, {@code ca-key.pem},
     * {@code cert-chain.pem}, {@code root-cert.pem}) into {@code directory}, so that {@link #fromPem} can load
     * it again. The key file is readable by its owner only.
     */
    public void writeTo(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directory, e);
        }
        pemFiles().forEach((name, pem) -> Pem.writeFile(directory.resolve(name), pem));
    }

    private Duration effectiveTtl(Duration ttl) {
        if (ttl == null || ttl.isZero()) {
            return options.defaultTtl();
        }
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("certificate TTL must not be negative: " + ttl);
        }
        return ttl.compareTo(options.maxTtl()) > 0 ? options.maxTtl() : ttl;
    }

    private X509Certificate issueLeaf(PublicKey publicKey, SpiffeId identity, List<String> dnsNames, Duration ttl) {
        X509Certificate issuer = material.signingCertificate();
        Instant now = options.clock().instant();
        Instant notAfter = now.plus(ttl);
        Instant issuerExpiry = issuer.getNotAfter().toInstant();
        if (!now.isBefore(issuerExpiry)) {
            throw new IllegalStateException("CA certificate " + issuer.getSubjectX500Principal() + " expired at "
                    + issuerExpiry + "; it cannot issue certificates");
        }
        if (notAfter.isAfter(issuerExpiry)) {
            notAfter = issuerExpiry;
        }
        X509v3CertificateBuilder builder;
        try {
            builder = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()),
                    serial(),
                    Date.from(now.minus(options.clockSkew())),
                    Date.from(notAfter),
                    new X500Name(new RDN[0]),
                    publicKey);
            JcaX509ExtensionUtils extensionUtils = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(
                    Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
            }));
            // The subject is empty, so RFC 5280 requires the SAN to be critical.
            builder.addExtension(Extension.subjectAlternativeName, true, subjectAlternativeNames(identity, dnsNames));
            builder.addExtension(
                    Extension.authorityKeyIdentifier, false, extensionUtils.createAuthorityKeyIdentifier(issuer));
            builder.addExtension(
                    Extension.subjectKeyIdentifier, false, extensionUtils.createSubjectKeyIdentifier(publicKey));
        } catch (CertIOException | NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot build certificate for " + identity, e);
        }
        return CertificateSigning.sign(builder, material.signingKey());
    }

    private static GeneralNames subjectAlternativeNames(SpiffeId identity, List<String> dnsNames) {
        GeneralName[] names = new GeneralName[1 + dnsNames.size()];
        names[0] = new GeneralName(GeneralName.uniformResourceIdentifier, identity.toString());
        for (int i = 0; i < dnsNames.size(); i++) {
            names[i + 1] = new GeneralName(GeneralName.dNSName, dnsNames.get(i));
        }
        return new GeneralNames(names);
    }

    private static BigInteger serial() {
        return CertificateSigning.randomSerial();
    }

    private static void checkTrustDomain(String trustDomain) {
        Objects.requireNonNull(trustDomain, "trustDomain");
        // SpiffeId owns the trust-domain syntax; reuse it rather than repeat the pattern.
        new SpiffeId(trustDomain, "default", "default");
    }
}
