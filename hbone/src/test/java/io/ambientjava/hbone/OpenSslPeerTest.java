package io.ambientjava.hbone;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.hbone.testsupport.HboneTestBed;
import io.ambientjava.hbone.testsupport.TestPki;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.pem.Pem;
import io.ambientjava.testing.RequiresCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A real, independent TLS peer: {@code openssl s_client} against the HBONE server. */
@RequiresCommand({"openssl"})
@Timeout(60)
class OpenSslPeerTest {

    private static HboneTestBed bed;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws IOException {
        bed = HboneTestBed.tls();
        Pem.writeFile(
                dir.resolve("ca.pem"),
                Pem.writeCertificates(TestPki.mesh().ca().trustBundle().roots()));
        write("client", TestPki.mesh().issue(TestPki.CLIENT));
        write("foreign", TestPki.foreign().issue(TestPki.CLIENT));
    }

    @AfterAll
    static void stop() throws Exception {
        bed.close();
    }

    @Test
    void handshakeWithMeshCertificateNegotiatesH2AndShowsTheServerSpiffeId() throws Exception {
        Result result = sClient(false, "-cert", path("client-cert.pem"), "-key", path("client-key.pem"));
        assertThat(result.output()).contains("ALPN protocol: h2");
        assertThat(result.output()).contains("New, TLSv1.3").contains("Verify return code: 0 (ok)");
        X509Certificate server = Pem.readCertificates(result.output()).getFirst();
        assertThat(server.getSubjectAlternativeNames())
                .extracting(san -> (Object) san.get(1))
                .containsExactly((Object) TestPki.SERVER.toString());
        assertThat(result.exitCode()).isZero();
    }

    @Test
    void withoutClientCertificateTheServerRefuses() throws Exception {
        Result result = sClient(true);
        assertThat(result.output()).containsIgnoringCase("alert certificate required");
        assertThat(result.exitCode()).isNotZero();
    }

    @Test
    void certificateFromAnotherCaIsRefused() throws Exception {
        Result result = sClient(true, "-cert", path("foreign-cert.pem"), "-key", path("foreign-key.pem"));
        // BoringSSL reports a chain the trust manager rejects as "internal error" (identity's verifier decides).
        assertThat(result.output())
                .containsPattern(
                        "(?i)alert (decrypt error|bad certificate|unknown ca|certificate unknown|internal error)");
        assertThat(result.output()).doesNotContain("read R BLOCK");
        assertThat(result.exitCode()).isNotZero();
    }

    private record Result(int exitCode, String output) {}

    /**
     * Runs s_client against the server. With TLS 1.3 the client finishes its handshake before the server has
     * judged the client certificate, so {@code awaitServerClose} (-ign_eof) keeps it reading until the server's
     * alert and close arrive.
     */
    private static Result sClient(boolean awaitServerClose, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                "openssl",
                "s_client",
                "-connect",
                "127.0.0.1:" + bed.server.port(),
                "-alpn",
                "h2",
                "-tls1_3",
                "-CAfile",
                path("ca.pem"),
                "-verify_return_error",
                "-showcerts"));
        if (awaitServerClose) {
            command.add("-ign_eof");
        }
        command.addAll(List.of(extra));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                throw new AssertionError("openssl s_client did not finish in 20 s");
            }
            return new Result(
                    process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
        }
    }

    private static void write(String name, WorkloadCertificate cert) {
        Pem.writeFile(dir.resolve(name + "-cert.pem"), Pem.writeCertificates(cert.chain()));
        Pem.writeFile(dir.resolve(name + "-key.pem"), Pem.writePrivateKey(cert.privateKey()));
    }

    private static String path(String name) {
        return dir.resolve(name).toString();
    }
}
