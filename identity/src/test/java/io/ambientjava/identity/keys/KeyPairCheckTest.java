package io.ambientjava.identity.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import org.junit.jupiter.api.Test;

class KeyPairCheckTest {

    private static KeyPair generate(String algorithm) throws Exception {
        return KeyPairGenerator.getInstance(algorithm).generateKeyPair();
    }

    @Test
    void theCertificatesOwnKeyBelongsAndOthersDoNot() throws Exception {
        WorkloadCertificate issued = MeshCertificateAuthority.createSelfSigned("cluster.local")
                .issue(SpiffeId.parse("spiffe://cluster.local/ns/default/sa/web"));
        var certificate = issued.leaf();
        PrivateKey own = issued.privateKey();

        assertThat(KeyPairCheck.belongsTo(own, certificate)).isTrue();
        assertThat(KeyPairCheck.belongsTo(generate("EC").getPrivate(), certificate))
                .isFalse();
        assertThat(KeyPairCheck.belongsTo(generate("RSA").getPrivate(), certificate))
                .isFalse();
    }

    @Test
    void aKeyTypeItCannotSignWithIsNamed() throws Exception {
        var certificate = MeshCertificateAuthority.createSelfSigned("cluster.local")
                .caChain()
                .getFirst();

        assertThatThrownBy(() -> KeyPairCheck.belongsTo(generate("DSA").getPrivate(), certificate))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unsupported key algorithm DSA");
    }
}
