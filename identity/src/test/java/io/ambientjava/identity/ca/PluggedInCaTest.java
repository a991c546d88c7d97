package io.ambientjava.identity.ca;

import static io.ambientjava.identity.ca.MeshCertificateAuthorityTest.assertChainValid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.pem.Pem;
import io.ambientjava.identity.testpki.TestAuthority;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Istio's plugged-in CA layout: ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem. */
class PluggedInCaTest {

    private static final SpiffeId ALICE = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/alice");

    @TempDir
    Path dir;

    private final TestAuthority root = TestAuthority.root("test root");
    private final TestAuthority intermediate = root.intermediate("cluster-1 intermediate");

    @Test
    void aCaReadsBackFromItsPemTextWithoutFiles() {
        MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned("cluster.local");
        var files = ca.pemFiles();

        MeshCertificateAuthority again = MeshCertificateAuthority.fromPem(files, "Secret ns/ca", "cluster.local");

        assertThat(files).containsOnlyKeys("ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem");
        assertThat(again.trustBundle().roots()).isEqualTo(ca.trustBundle().roots());
        var missing = new java.util.HashMap<>(files);
        missing.remove("ca-key.pem");
        assertThatThrownBy(() -> MeshCertificateAuthority.fromPem(missing, "Secret ns/ca", "cluster.local"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Secret ns/ca has no ca-key.pem");
        var mixed = new java.util.HashMap<>(files);
        mixed.put(
                "ca-key.pem",
                MeshCertificateAuthority.createSelfSigned("cluster.local")
                        .pemFiles()
                        .get("ca-key.pem"));
        assertThatThrownBy(() -> MeshCertificateAuthority.fromPem(mixed, "Secret ns/ca", "cluster.local"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Secret ns/ca ca-key.pem is not the private key of Secret ns/ca ca-cert.pem");
    }

    @Test
    void intermediateCaIssuesChainsThroughTheIntermediateToTheRoot() throws Exception {
        writeCacerts(intermediate, true, true);

        MeshCertificateAuthority ca = load(true, true);
        WorkloadCertificate cert = ca.issue(ALICE);

        assertThat(cert.chain()).containsExactly(cert.leaf(), intermediate.certificate(), root.certificate());
        assertThat(ca.trustBundle().roots()).containsExactly(root.certificate());
        assertThat(ca.caChain()).containsExactly(intermediate.certificate(), root.certificate());
        assertChainValid(cert.chain(), ca.trustBundle());
    }

    @Test
    void rootFileAloneCompletesTheChain() {
        writeCacerts(intermediate, false, true);

        MeshCertificateAuthority ca = load(false, true);

        assertThat(ca.issue(ALICE).chain()).hasSize(3).endsWith(root.certificate());
    }

    @Test
    void chainFileWithoutTheSigningCertificateIsAccepted() {
        writeCacerts(intermediate, false, false);
        Pem.writeFile(dir.resolve("cert-chain.pem"), Pem.writeCertificate(root.certificate()));

        MeshCertificateAuthority ca = load(true, false);

        assertThat(ca.caChain()).containsExactly(intermediate.certificate(), root.certificate());
    }

    @Test
    void pluggedInRootAloneIsItsOwnTrustBundle() {
        writeCacerts(root, false, false);

        MeshCertificateAuthority ca = load(false, false);
        WorkloadCertificate cert = ca.issue(ALICE);

        assertThat(cert.chain()).containsExactly(cert.leaf(), root.certificate());
        assertThat(ca.trustBundle().roots()).containsExactly(root.certificate());
    }

    @Test
    void selfSignedCaSurvivesARoundTripThroughItsFiles() throws Exception {
        MeshCertificateAuthority original = MeshCertificateAuthority.createSelfSigned("cluster.local");
        original.writeTo(dir);

        MeshCertificateAuthority reloaded = load(true, true);

        assertThat(reloaded.trustBundle()).isEqualTo(original.trustBundle());
        assertChainValid(reloaded.issue(ALICE).chain(), original.trustBundle());
        assertThat(Files.getPosixFilePermissions(dir.resolve("ca-key.pem")).toString())
                .isEqualTo("[OWNER_READ, OWNER_WRITE]");
    }

    @Test
    void intermediateWithoutRootIsRefused() {
        writeCacerts(intermediate, false, false);

        assertThatThrownBy(() -> load(false, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no root certificate")
                .hasMessageContaining("cluster-1 intermediate");
    }

    @Test
    void keyOfAnotherCertificateIsRefused() {
        writeCacerts(intermediate, true, true);
        Pem.writeFile(
                dir.resolve("ca-key.pem"), Pem.writePrivateKey(root.keyPair().getPrivate()));

        assertThatThrownBy(() -> load(true, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ca-key.pem is not the private key of");
    }

    @Test
    void leafCertificateAsCaIsRefused() {
        WorkloadCertificate leaf = root.leaf(ALICE);
        Pem.writeFile(dir.resolve("ca-cert.pem"), Pem.writeCertificate(leaf.leaf()));
        Pem.writeFile(dir.resolve("ca-key.pem"), Pem.writePrivateKey(leaf.privateKey()));
        Pem.writeFile(dir.resolve("root-cert.pem"), Pem.writeCertificate(root.certificate()));

        assertThatThrownBy(() -> load(false, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a CA certificate");
    }

    @Test
    void rootThatDidNotSignTheIntermediateIsRefused() {
        writeCacerts(intermediate, false, false);
        Pem.writeFile(
                dir.resolve("root-cert.pem"),
                Pem.writeCertificate(TestAuthority.root("stranger").certificate()));

        assertThatThrownBy(() -> load(false, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CA chain broken")
                .hasMessageContaining("stranger");
    }

    @Test
    void expiredIntermediateIsRefused() {
        TestAuthority expired = root.intermediate(
                "old intermediate",
                Instant.now().minus(Duration.ofDays(10)),
                Instant.now().minus(Duration.ofDays(1)));
        writeCacerts(expired, true, true);

        assertThatThrownBy(() -> load(true, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("old intermediate")
                .hasMessageContaining("is not valid now");
    }

    @Test
    void garbageKeyFileIsRefusedNamingTheFile() {
        writeCacerts(intermediate, true, true);
        Pem.writeFile(dir.resolve("ca-key.pem"), "not a key");

        assertThatThrownBy(() -> load(true, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ca-key.pem")
                .hasMessageContaining("no PEM block");
    }

    private void writeCacerts(TestAuthority authority, boolean chain, boolean rootFile) {
        Pem.writeFile(dir.resolve("ca-cert.pem"), Pem.writeCertificate(authority.certificate()));
        Pem.writeFile(
                dir.resolve("ca-key.pem"),
                Pem.writePrivateKey(authority.keyPair().getPrivate()));
        if (chain) {
            Pem.writeFile(dir.resolve("cert-chain.pem"), Pem.writeCertificates(authority.chain()));
        }
        if (rootFile) {
            Pem.writeFile(dir.resolve("root-cert.pem"), Pem.writeCertificate(authority.rootCertificate()));
        }
    }

    private MeshCertificateAuthority load(boolean chain, boolean rootFile) {
        return MeshCertificateAuthority.fromPem(
                dir.resolve("ca-cert.pem"),
                dir.resolve("ca-key.pem"),
                chain ? dir.resolve("cert-chain.pem") : null,
                rootFile ? dir.resolve("root-cert.pem") : null,
                "cluster.local");
    }
}
