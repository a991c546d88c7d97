package io.ambientjava.identity.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.csr.CsrGenerator;
import io.ambientjava.identity.csr.GeneratedCsr;
import io.ambientjava.identity.testpki.TestCsrs;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.Test;

class MeshCertificateAuthorityTest {

    private static final SpiffeId ALICE = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/alice");
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private final MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned("cluster.local");

    @Test
    void selfSignedRootIsAP256CaValidForTenYears() {
        MeshCertificateAuthority fixed = MeshCertificateAuthority.createSelfSigned(
                "cluster.local", CaOptions.defaults().withClock(Clock.fixed(NOW, ZoneOffset.UTC)));
        X509Certificate root = fixed.trustBundle().roots().getFirst();

        assertThat(fixed.trustDomain()).isEqualTo("cluster.local");
        assertThat(root.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(root.getKeyUsage()[5]).as("keyCertSign").isTrue();
        assertThat(root.getSubjectX500Principal()).isEqualTo(root.getIssuerX500Principal());
        assertThat(root.getSubjectX500Principal().getName()).contains("O=cluster.local");
        assertThat(root.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(3650)));
        assertThat(fixed.caChain()).containsExactly(root);
    }

    @Test
    void issuedLeafHasOneSpiffeUriSanAndWorkloadUsages() throws Exception {
        WorkloadCertificate cert = ca.issue(ALICE);
        X509Certificate leaf = cert.leaf();

        assertThat(cert.identity()).isEqualTo(ALICE);
        assertThat(cert.chain()).hasSize(2);
        assertThat(cert.chain().getLast()).isEqualTo(ca.trustBundle().roots().getFirst());
        assertThat(leaf.getSubjectAlternativeNames())
                .containsExactly(List.of(GeneralName.uniformResourceIdentifier, ALICE.toString()));
        assertThat(leaf.getCriticalExtensionOIDs()).contains("2.5.29.17");
        assertThat(leaf.getSubjectX500Principal().getName()).isEmpty();
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        boolean[] keyUsage = leaf.getKeyUsage();
        assertThat(keyUsage[0]).as("digitalSignature").isTrue();
        assertThat(keyUsage[2]).as("keyEncipherment").isTrue();
        assertThat(keyUsage[5]).as("keyCertSign").isFalse();
        assertThat(leaf.getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(leaf.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(leaf.getSerialNumber().signum()).isPositive();
        assertThat(ca.issue(ALICE).leaf().getSerialNumber()).isNotEqualTo(leaf.getSerialNumber());
        assertChainValid(cert.chain(), ca.trustBundle());
    }

    @Test
    void validityIsBackdatedBySkewAndLastsTheTtl() {
        CaOptions options =
                CaOptions.defaults().withClock(Clock.fixed(NOW, ZoneOffset.UTC)).withClockSkew(Duration.ofMinutes(5));
        MeshCertificateAuthority fixed = MeshCertificateAuthority.createSelfSigned("cluster.local", options);

        WorkloadCertificate byDefault = fixed.issue(ALICE);
        WorkloadCertificate oneHour = fixed.issue(ALICE, Duration.ofHours(1));

        assertThat(byDefault.notBefore()).isEqualTo(NOW.minus(Duration.ofMinutes(5)));
        assertThat(byDefault.notAfter()).isEqualTo(NOW.plus(Duration.ofHours(24)));
        assertThat(oneHour.notAfter()).isEqualTo(NOW.plus(Duration.ofHours(1)));
    }

    @Test
    void ttlLongerThanTheMaximumIsCapped() {
        MeshCertificateAuthority fixed = MeshCertificateAuthority.createSelfSigned(
                "cluster.local",
                CaOptions.defaults().withClock(Clock.fixed(NOW, ZoneOffset.UTC)).withMaxTtl(Duration.ofDays(2)));

        WorkloadCertificate cert = fixed.issue(ALICE, Duration.ofDays(400));

        assertThat(cert.notAfter()).isEqualTo(NOW.plus(Duration.ofDays(2)));
    }

    @Test
    void zeroTtlMeansDefaultAndNegativeIsRejected() {
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        MeshCertificateAuthority fixed =
                ca.withOptions(CaOptions.defaults().withClock(Clock.fixed(now, ZoneOffset.UTC)));
        GeneratedCsr csr = CsrGenerator.generate(ALICE);

        assertThat(fixed.sign(csr.csrPem(), ALICE, Duration.ZERO)
                        .getFirst()
                        .getNotAfter()
                        .toInstant())
                .isEqualTo(now.plus(Duration.ofHours(24)));
        assertThatThrownBy(() -> fixed.sign(csr.csrPem(), ALICE, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative");
    }

    @Test
    void signKeepsTheCsrKeyTypeIncludingRsa() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPair keyPair = rsa.generateKeyPair();
        GeneratedCsr csr = CsrGenerator.generate(ALICE, keyPair);

        List<X509Certificate> chain = ca.sign(csr.csrPem(), ALICE);

        assertThat(chain.getFirst().getPublicKey()).isEqualTo(keyPair.getPublic());
        assertChainValid(chain, ca.trustBundle());
    }

    @Test
    void csrWithoutSanIsCertifiedForTheRequestedIdentity() {
        String csr = TestCsrs.csrWithSans(CsrGenerator.newP256KeyPair(), List.of());

        List<X509Certificate> chain = ca.sign(csr, ALICE);

        assertThat(uris(chain.getFirst())).containsExactly(ALICE.toString());
    }

    @Test
    void csrForAnotherIdentityIsRefusedNamingBoth() {
        String csr =
                TestCsrs.csrWithUris(CsrGenerator.newP256KeyPair(), "spiffe://cluster.local/ns/default/sa/mallory");

        assertThatThrownBy(() -> ca.sign(csr, ALICE))
                .isInstanceOf(CertificateRequestException.class)
                .hasMessageContaining("spiffe://cluster.local/ns/default/sa/mallory")
                .hasMessageContaining(ALICE.toString());
    }

    @Test
    void csrWithTwoUriSansIsRefusedNamingBoth() {
        String csr = TestCsrs.csrWithUris(
                CsrGenerator.newP256KeyPair(), ALICE.toString(), "spiffe://cluster.local/ns/default/sa/bob");

        assertThatThrownBy(() -> ca.sign(csr, ALICE))
                .isInstanceOf(CertificateRequestException.class)
                .hasMessageContaining("2 URI SANs")
                .hasMessageContaining(ALICE.toString())
                .hasMessageContaining("spiffe://cluster.local/ns/default/sa/bob");
    }

    @Test
    void csrWithADnsSanIsRefused() {
        String csr = TestCsrs.csrWithSans(
                CsrGenerator.newP256KeyPair(),
                List.of(TestCsrs.uri(ALICE.toString()), new GeneralName(GeneralName.dNSName, "evil.example")));

        assertThatThrownBy(() -> ca.sign(csr, ALICE))
                .isInstanceOf(CertificateRequestException.class)
                .hasMessageContaining("DNS:evil.example");
    }

    @Test
    void garbagePemIsRefused() {
        assertThatThrownBy(() -> ca.sign("hello, I am not a CSR", ALICE))
                .isInstanceOf(CertificateRequestException.class)
                .hasMessageStartingWith("malformed CSR")
                .hasMessageContaining("no PEM block");
    }

    @Test
    void truncatedPemIsRefused() {
        String csr = CsrGenerator.generate(ALICE).csrPem();
        String truncated = csr.substring(0, csr.length() / 2);

        assertThatThrownBy(() -> ca.sign(truncated, ALICE))
                .isInstanceOf(CertificateRequestException.class)
                .hasMessageStartingWith("malformed CSR");
    }

    @Test
    void pemWithCorruptDerIsRefused() {
        String body = java.util.Base64.getMimeEncoder().encodeToString(new byte[] {0x30, 0x03, 0x02, 0x01});
        String pem = "-----BEGIN CERTIFICATE REQUEST-----\n" + body + "\n-----END CERTIFICATE REQUEST-----\n";

        assertThatThrownBy(() -> ca.sign(pem, ALICE))
                .isInstanceOf(CertificateRequestException.class)
                .hasMessageStartingWith("malformed CSR");
    }

    @Test
    void certificateInsteadOfCsrIsRefusedNamingWhatWasFound() {
        String pem = io.ambientjava.identity.pem.Pem.writeCertificate(
                ca.trustBundle().roots().getFirst());

        assertThatThrownBy(() -> ca.sign(pem, ALICE))
                .isInstanceOf(CertificateRequestException.class)
                .hasMessageContaining("found CERTIFICATE");
    }

    @Test
    void csrWithASignatureThatDoesNotVerifyIsRefused() {
        String csr = TestCsrs.csrWithForeignSignature(
                CsrGenerator.newP256KeyPair(), CsrGenerator.newP256KeyPair(), ALICE.toString());

        assertThatThrownBy(() -> ca.sign(csr, ALICE))
                .isInstanceOf(CertificateRequestException.class)
                .hasMessageContaining("signature");
    }

    @Test
    void smallRsaKeyIsRefused() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024);
        String csr = TestCsrs.csrWithUris(rsa.generateKeyPair(), ALICE.toString());

        assertThatThrownBy(() -> ca.sign(csr, ALICE))
                .isInstanceOf(CertificateRequestException.class)
                .hasMessageContaining("1024 bits");
    }

    @Test
    void identityOutsideTheTrustDomainIsRefused() {
        SpiffeId foreign = SpiffeId.parse("spiffe://other.domain/ns/default/sa/alice");

        assertThatThrownBy(() -> ca.issue(foreign))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("other.domain")
                .hasMessageContaining("cluster.local");
    }

    @Test
    void aServingCertificateAlsoNamesItsHostNames() throws Exception {
        SpiffeId istiod = SpiffeId.parse("spiffe://cluster.local/ns/istio-system/sa/istiod");
        WorkloadCertificate cert = ca.issue(
                istiod,
                List.of("istiod.istio-system.svc", "istiod.istio-system.svc.cluster.local"),
                Duration.ofDays(1));

        assertThat(cert.leaf().getSubjectAlternativeNames())
                .containsExactly(
                        List.of(GeneralName.uniformResourceIdentifier, istiod.toString()),
                        List.of(GeneralName.dNSName, "istiod.istio-system.svc"),
                        List.of(GeneralName.dNSName, "istiod.istio-system.svc.cluster.local"));
        assertChainValid(cert.chain(), ca.trustBundle());
    }

    @Test
    void aHostNameThatIsNotADnsNameIsRefusedByName() {
        SpiffeId istiod = SpiffeId.parse("spiffe://cluster.local/ns/istio-system/sa/istiod");
        for (String bad : List.of("*.istio-system.svc", "istiod..svc", "-istiod.svc", "istiod.svc/validate", "")) {
            assertThatThrownBy(() -> ca.issue(istiod, List.of(bad), Duration.ofDays(1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("not a DNS name for a certificate: '" + bad + "'");
        }
    }

    static List<String> uris(X509Certificate certificate) {
        try {
            return certificate.getSubjectAlternativeNames().stream()
                    .filter(san -> (Integer) san.get(0) == GeneralName.uniformResourceIdentifier)
                    .map(san -> (String) san.get(1))
                    .collect(Collectors.toList());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void assertChainValid(List<X509Certificate> chain, TrustBundle bundle) throws Exception {
        var path = CertificateFactory.getInstance("X.509").generateCertPath(chain.subList(0, chain.size() - 1));
        PKIXParameters parameters = new PKIXParameters(
                java.util.Set.of(new TrustAnchor(bundle.roots().getFirst(), null)));
        parameters.setRevocationEnabled(false);
        parameters.setDate(Date.from(Instant.now()));
        CertPathValidator.getInstance("PKIX").validate(path, parameters);
    }
}
