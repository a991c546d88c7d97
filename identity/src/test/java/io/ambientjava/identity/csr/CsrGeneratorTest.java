package io.ambientjava.identity.csr;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.pem.Pem;
import io.ambientjava.testing.RequiresCommand;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;

class CsrGeneratorTest {

    private static final SpiffeId ALICE = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/alice");

    @Test
    void csrAsksForExactlyTheIdentityWithAP256Key() throws Exception {
        GeneratedCsr generated = CsrGenerator.generate(ALICE);
        PKCS10CertificationRequest csr = Pem.readCsr(generated.csrPem());

        assertThat(generated.identity()).isEqualTo(ALICE);
        assertThat(generated.privateKey().getAlgorithm()).isEqualTo("EC");
        assertThat(csr.getSubject().getRDNs()).isEmpty();
        assertThat(csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(csr.getSubjectPublicKeyInfo())))
                .isTrue();
        Extensions extensions =
                Extensions.getInstance(csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)[0]
                        .getAttrValues()
                        .getObjectAt(0));
        Extension san = extensions.getExtension(Extension.subjectAlternativeName);
        assertThat(san.isCritical()).isTrue();
        GeneralName[] names = org.bouncycastle.asn1.x509.GeneralNames.getInstance(san.getParsedValue())
                .getNames();
        assertThat(names).hasSize(1);
        assertThat(names[0].getTagNo()).isEqualTo(GeneralName.uniformResourceIdentifier);
        assertThat(names[0].getName().toString()).isEqualTo(ALICE.toString());
    }

    @Test
    void eachCsrHasAFreshKey() {
        assertThat(CsrGenerator.generate(ALICE).privateKey())
                .isNotEqualTo(CsrGenerator.generate(ALICE).privateKey());
    }

    @Test
    @RequiresCommand({"openssl", "timeout"})
    void opensslVerifiesTheCsrAndSeesTheUriSan() throws Exception {
        Process process = new ProcessBuilder("timeout", "10", "openssl", "req", "-verify", "-noout", "-text")
                .redirectErrorStream(true)
                .start();
        try {
            try (var stdin = process.getOutputStream()) {
                stdin.write(CsrGenerator.generate(ALICE).csrPem().getBytes(StandardCharsets.US_ASCII));
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(15, TimeUnit.SECONDS)).isTrue();

            assertThat(output).containsIgnoringCase("verify OK").contains("URI:" + ALICE);
        } finally {
            process.destroyForcibly();
        }
    }
}
