package io.ambientjava.ztunnel.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.pem.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The mesh roots from a file that appears late and changes, as a ConfigMap volume does. */
@Timeout(30)
class RootCertificateFileTest {

    private static final Duration CHECK = Duration.ofMillis(50);

    @TempDir
    Path dir;

    private final TrustBundle first =
            MeshCertificateAuthority.createSelfSigned("cluster.local").trustBundle();
    private final TrustBundle second =
            MeshCertificateAuthority.createSelfSigned("cluster.local").trustBundle();

    private static String pem(TrustBundle bundle) {
        return Pem.writeCertificates(bundle.roots());
    }

    /** Replaces the file the way the kubelet updates a ConfigMap volume: a new file moved over the old name. */
    private void publish(Path file, String content) throws Exception {
        Path staged = Files.writeString(dir.resolve("..staged-" + System.nanoTime()), content);
        Files.move(staged, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void aFileNotThereYetIsWaitedForInItsFolder() throws Exception {
        Path file = dir.resolve("root-cert.pem");
        CompletableFuture<RootCertificateFile> opened = CompletableFuture.supplyAsync(() -> {
            try {
                return RootCertificateFile.open(file, CHECK, Duration.ofMillis(100));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        assertThat(opened).isNotDone();

        publish(file, pem(first));
        assertThat(opened.get(10, TimeUnit.SECONDS).get()).isEqualTo(first);
    }

    @Test
    void aRotatedRootIsTrustedAfterTheNextLookAndABadOneIsNot() throws Exception {
        Path file = dir.resolve("root-cert.pem");
        publish(file, pem(first));
        RootCertificateFile roots = RootCertificateFile.open(file, CHECK, Duration.ofSeconds(1));
        assertThat(roots.get()).isEqualTo(first);

        publish(file, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        Thread.sleep(3 * CHECK.toMillis());
        assertThat(roots.get())
                .as("half-written or broken: the roots read before stay")
                .isEqualTo(first);

        publish(file, pem(first) + pem(second)); // a rotation: old and new root side by side
        await().atMost(Duration.ofSeconds(5))
                .until(() -> roots.get()
                        .roots()
                        .equals(java.util.List.of(
                                first.roots().getFirst(), second.roots().getFirst())));

        publish(file, pem(second));
        await().atMost(Duration.ofSeconds(5)).until(() -> roots.get().equals(second));
    }

    @Test
    void noFolderOrNoCertificateIsAnErrorAtOnce() throws Exception {
        assertThatThrownBy(() -> RootCertificateFile.open(dir.resolve("absent/root-cert.pem"), CHECK, CHECK))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no such file, and no folder");
        Path empty = Files.writeString(dir.resolve("empty.pem"), "# nothing here\n");
        assertThatThrownBy(() -> RootCertificateFile.open(empty, CHECK, CHECK))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
