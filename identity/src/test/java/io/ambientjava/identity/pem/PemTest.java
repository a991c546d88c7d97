package io.ambientjava.identity.pem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.csr.CsrGenerator;
import io.ambientjava.testing.RequiresCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {

    private static final SpiffeId ALICE = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/alice");
    private static final MeshCertificateAuthority CA = MeshCertificateAuthority.createSelfSigned("cluster.local");

    @TempDir
    Path dir;

    @Test
    void certificateChainRoundTrips() {
        WorkloadCertificate cert = CA.issue(ALICE);

        String pem = Pem.writeCertificates(cert.chain());

        assertThat(pem).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(Pem.readCertificates(pem)).containsExactlyElementsOf(cert.chain());
        assertThat(Pem.readCertificate(Pem.writeCertificate(cert.leaf()))).isEqualTo(cert.leaf());
    }

    @Test
    void ecAndRsaKeysRoundTripAsPkcs8() throws Exception {
        PrivateKey ec = CsrGenerator.newP256KeyPair().getPrivate();
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        PrivateKey rsaKey = rsa.generateKeyPair().getPrivate();

        assertThat(Pem.writePrivateKey(ec)).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(Pem.readPrivateKey(Pem.writePrivateKey(ec))).isEqualTo(ec);
        assertThat(Pem.readPrivateKey(Pem.writePrivateKey(rsaKey))).isEqualTo(rsaKey);
    }

    @Test
    @RequiresCommand("openssl")
    void traditionalOpensslKeyFormatsAreRead() throws Exception {
        Path ec = dir.resolve("ec.pem");
        Path rsa = dir.resolve("rsa.pem");
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ec.toString());
        openssl("genrsa", "-traditional", "-out", rsa.toString(), "2048");

        assertThat(Files.readString(ec)).contains("BEGIN EC PRIVATE KEY");
        assertThat(Files.readString(rsa)).contains("BEGIN RSA PRIVATE KEY");
        assertThat(Pem.readPrivateKey(ec).getAlgorithm()).isEqualTo("EC");
        assertThat(Pem.readPrivateKey(rsa).getAlgorithm()).isEqualTo("RSA");
    }

    @Test
    @RequiresCommand("openssl")
    void ecKeyAfterItsParametersBlockIsRead() throws Exception {
        Path ec = dir.resolve("ec-with-params.pem");
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", ec.toString());

        assertThat(Files.readString(ec)).contains("BEGIN EC PARAMETERS").contains("BEGIN EC PRIVATE KEY");
        assertThat(Pem.readPrivateKey(ec).getAlgorithm()).isEqualTo("EC");
    }

    @Test
    @RequiresCommand("openssl")
    void parametersWithoutKeyAreRefused() throws Exception {
        Path params = dir.resolve("params-only.pem");
        openssl("ecparam", "-name", "prime256v1", "-out", params.toString());

        assertThatThrownBy(() -> Pem.readPrivateKey(params))
                .isInstanceOf(PemException.class)
                .hasMessageContaining("no private key found, only EC PARAMETERS");
    }

    @Test
    void csrRoundTrips() throws Exception {
        String pem = CsrGenerator.generate(ALICE).csrPem();

        assertThat(Pem.writeCsr(Pem.readCsr(pem))).isEqualTo(pem);
    }

    @Test
    void textWithoutPemIsRefused() {
        assertThatThrownBy(() -> Pem.readCertificates("just some text"))
                .isInstanceOf(PemException.class)
                .hasMessageContaining("no PEM block")
                .hasMessageContaining("just some text");
    }

    @Test
    void truncatedPemIsRefused() {
        String pem = Pem.writeCertificate(CA.trustBundle().roots().getFirst());

        assertThatThrownBy(() -> Pem.readCertificates(pem.substring(0, pem.length() - 40)))
                .isInstanceOf(PemException.class)
                .hasMessageContaining("malformed PEM");
    }

    @Test
    void wrongBlockTypeIsNamed() {
        String key = Pem.writePrivateKey(CsrGenerator.newP256KeyPair().getPrivate());
        String cert = Pem.writeCertificate(CA.trustBundle().roots().getFirst());

        assertThatThrownBy(() -> Pem.readCertificates(key)).hasMessageContaining("found PRIVATE KEY");
        assertThatThrownBy(() -> Pem.readPrivateKey(cert)).hasMessageContaining("found CERTIFICATE");
        assertThatThrownBy(() -> Pem.readCsr(cert)).hasMessageContaining("found CERTIFICATE");
    }

    @Test
    void corruptCertificateBodyIsRefused() {
        String pem = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";

        assertThatThrownBy(() -> Pem.readCertificates(pem))
                .isInstanceOf(PemException.class)
                .hasMessageContaining("malformed certificate #1");
    }

    @Test
    void twoKeysInOneFileAreRefused() {
        String key = Pem.writePrivateKey(CsrGenerator.newP256KeyPair().getPrivate());

        assertThatThrownBy(() -> Pem.readPrivateKey(key + key))
                .hasMessageContaining("expected exactly one PEM block")
                .hasMessageContaining("[PRIVATE KEY, PRIVATE KEY]");
    }

    @Test
    void readCertificateWantsExactlyOne() {
        assertThatThrownBy(() -> Pem.readCertificate(
                        Pem.writeCertificates(CA.issue(ALICE).chain())))
                .hasMessageContaining("exactly one certificate but found 2");
    }

    @Test
    void encryptedKeysAreRefusedWithAHint() {
        String pem = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAMCAQE=\n-----END ENCRYPTED PRIVATE KEY-----\n";

        assertThatThrownBy(() -> Pem.readPrivateKey(pem))
                .hasMessageContaining("encrypted private keys are not supported");
    }

    @Test
    void fileErrorsNameTheFile() throws Exception {
        Path file = dir.resolve("broken.pem");
        Files.writeString(file, "nothing here");

        assertThatThrownBy(() -> Pem.readCertificates(file)).hasMessageContaining(file.toString());
        assertThatThrownBy(() -> Pem.readPrivateKey(dir.resolve("missing.pem")))
                .isInstanceOf(java.io.UncheckedIOException.class)
                .hasMessageContaining("missing.pem");
    }

    @Test
    void writtenFilesAreOwnerOnly() throws Exception {
        Path file = dir.resolve("key.pem");
        Pem.writeFile(file, Pem.writePrivateKey(CsrGenerator.newP256KeyPair().getPrivate()));

        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        assertThat(List.of(Pem.readPrivateKey(file).getAlgorithm())).containsExactly("EC");
    }

    private static void openssl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("timeout", "10", "openssl"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            assertThat(process.waitFor(15, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue())
                    .as(new String(process.getInputStream().readAllBytes()))
                    .isZero();
        } finally {
            process.destroyForcibly();
        }
    }
}
