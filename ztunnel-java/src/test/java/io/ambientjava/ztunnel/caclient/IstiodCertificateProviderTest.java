package io.ambientjava.ztunnel.caclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.ztunnel.testsupport.InProcessIstiod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Certificates from istiod-lite's CA running in-process, as the ztunnel of node-a. */
@Timeout(60)
class IstiodCertificateProviderTest {

    private static final SpiffeId WEB = new SpiffeId("cluster.local", "shop", "web");
    private static final String DB_ON_NODE_B = """
            apiVersion: v1
            kind: Pod
            metadata: {name: db-0, namespace: shop}
            spec:
              serviceAccountName: db
              nodeName: node-b
              containers: [{name: db, image: db}]
            status: {phase: Running, podIP: 198.18.2.20}
            """;

    @TempDir
    Path dir;

    private InProcessIstiod istiod;
    private Path tokenFile;
    private IstiodCertificateProvider provider;

    @BeforeEach
    void start() throws Exception {
        istiod = InProcessIstiod.start(dir);
        tokenFile = dir.resolve("ztunnel-token");
        Files.writeString(tokenFile, InProcessIstiod.NODE_A_TOKEN + "\n");
        provider = IstiodCertificateProvider.create(CaClientSettings.of("127.0.0.1", istiod.port(), tokenFile));
    }

    @AfterEach
    void stop() {
        provider.close();
        istiod.close();
    }

    @Test
    void obtainsACertificateForAPodIdentityOnItsNode() throws Exception {
        assertThatThrownBy(provider::trustBundle)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no trust bundle yet");

        WorkloadCertificate certificate = provider.fetch(WEB).get(10, TimeUnit.SECONDS);

        assertThat(certificate.identity()).isEqualTo(WEB);
        assertThat(SpiffeId.fromCertificate(certificate.leaf())).isEqualTo(WEB);
        assertThat(certificate.isValidAt(Instant.now())).isTrue();
        assertThat(certificate.notAfter()).isAfter(Instant.now().plus(Duration.ofHours(23)));
        assertThat(certificate.chain().getLast())
                .isEqualTo(istiod.ca().trustBundle().roots().getFirst());
        assertThat(provider.trustBundle().roots())
                .isEqualTo(istiod.ca().trustBundle().roots());
        certificate.leaf().verify(certificate.chain().get(1).getPublicKey());
        // The private key is the one of the leaf.
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(certificate.privateKey());
        signer.update(new byte[] {1, 2, 3});
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(certificate.leaf().getPublicKey());
        verifier.update(new byte[] {1, 2, 3});
        assertThat(verifier.verify(signature)).isTrue();
    }

    @Test
    void aPodOnAnotherNodeIsRefusedWithTheCasReason() throws Exception {
        istiod.write("30-db.yaml", DB_ON_NODE_B);
        SpiffeId db = new SpiffeId("cluster.local", "shop", "db");

        assertThatThrownBy(() -> provider.fetch(db).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(CaRequestException.class)
                .hasMessageContaining("certificate for " + db)
                .hasMessageContaining("PERMISSION_DENIED")
                .hasMessageContaining("no pod with service account shop/db runs on node node-a");

        // node-b's ztunnel may: the token file is read again on each request.
        Files.writeString(tokenFile, InProcessIstiod.NODE_B_TOKEN);
        assertThat(provider.fetch(db).get(10, TimeUnit.SECONDS).identity()).isEqualTo(db);
    }

    @Test
    void anUnknownTokenIsRefusedAsUnauthenticated() throws Exception {
        Files.writeString(tokenFile, "not-a-known-token-0123456789");
        assertThatThrownBy(() -> provider.fetch(WEB).get(10, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(CaRequestException.class)
                .hasMessageContaining("UNAUTHENTICATED")
                .hasMessageContaining("unknown token");
    }

    @Test
    void aMissingOrEmptyTokenFileFailsNamingTheFile() throws Exception {
        Files.delete(tokenFile);
        assertThatThrownBy(() -> provider.fetch(WEB).get(10, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(CaRequestException.class)
                .hasMessage("token file " + tokenFile + " does not exist");

        Files.writeString(tokenFile, "  \n");
        assertThatThrownBy(() -> provider.fetch(WEB).get(10, TimeUnit.SECONDS))
                .cause()
                .hasMessage("token file " + tokenFile + " is empty");
    }

    @Test
    void aCaThatIsDownFailsClearly() throws Exception {
        istiod.stop();
        assertThatThrownBy(() -> provider.fetch(WEB).get(15, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(CaRequestException.class)
                .hasMessageContaining("CA at 127.0.0.1:" + istiod.port())
                .hasMessageContaining("UNAVAILABLE");
    }
}
