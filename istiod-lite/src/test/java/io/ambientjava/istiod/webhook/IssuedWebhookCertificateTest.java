package io.ambientjava.istiod.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.CaOptions;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.pem.Pem;
import io.ambientjava.istiod.testsupport.MovableClock;
import io.ambientjava.testing.RequiresCommand;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook with the certificate the mesh CA issues for the Service the API server calls: verified the way the API
 * server verifies it (the caBundle, that is the mesh root, and the host name {@code istiod.istio-system.svc}), and
 * renewed before it expires.
 */
class IssuedWebhookCertificateTest {

    private static final String HOST = "istiod.istio-system.svc";
    private static final SpiffeId ISTIOD = SpiffeId.parse("spiffe://cluster.local/ns/istio-system/sa/istiod");

    private final MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned("cluster.local");

    @Test
    @RequiresCommand({"curl"})
    void curlTrustingOnlyTheMeshRootReachesTheWebhookByItsServiceName(@TempDir Path scratch) throws Exception {
        Path root = scratch.resolve("ca-bundle.pem");
        Files.writeString(root, Pem.writeCertificates(ca.trustBundle().roots()));
        Path body = scratch.resolve("review.json");
        Files.writeString(body, """
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                 "request": {"uid": "4d1b5c2e-0000-4000-8000-000000000001", "operation": "CREATE",
                   "kind": {"group": "security.istio.io", "version": "v1", "kind": "PeerAuthentication"},
                   "namespace": "shop", "name": "default",
                   "object": {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                     "metadata": {"name": "default", "namespace": "shop"}, "spec": {"mtls": {"mode": "STRCT"}}}}}
                """);
        try (WebhookServer webhook = WebhookServer.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                () -> ca.issue(ISTIOD, List.of(HOST), Duration.ofDays(1)))) {
            String url = "https://" + HOST + ":" + webhook.port() + WebhookServer.PATH;
            String resolve = HOST + ":" + webhook.port() + ":127.0.0.1";

            Curl byName = curl("--cacert", root.toString(), "--resolve", resolve, "--data-binary", "@" + body, url);
            assertThat(byName.exit()).as(byName.output()).isZero();
            assertThat(byName.output()).contains("\"allowed\":false").contains("spec.mtls.mode");

            // The same root, another host name: the certificate does not name it, so it is refused.
            Curl byAddress = curl(
                    "--cacert",
                    root.toString(),
                    "--data-binary",
                    "@" + body,
                    "https://127.0.0.1:" + webhook.port() + WebhookServer.PATH);
            assertThat(byAddress.exit()).as(byAddress.output()).isEqualTo(60);
        }
    }

    private record Curl(int exit, String output) {}

    private static Curl curl(String... arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>(
                List.of("curl", "-sS", "--max-time", "10", "-H", "Content-Type: application/json"));
        command.addAll(List.of(arguments));
        Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(curl.getInputStream().readAllBytes());
            assertThat(curl.waitFor(15, TimeUnit.SECONDS)).isTrue();
            return new Curl(curl.exitValue(), output);
        } finally {
            curl.destroyForcibly();
        }
    }

    @Test
    void theCertificateIsIssuedAgainOnceHalfItsLifetimeHasPassed() {
        MovableClock clock = new MovableClock(Instant.parse("2030-01-01T00:00:00Z"));
        MeshCertificateAuthority timed = ca.withOptions(CaOptions.defaults().withClock(clock));
        AtomicInteger issued = new AtomicInteger();
        IssuedKeyManager keys = new IssuedKeyManager(
                () -> {
                    issued.incrementAndGet();
                    return timed.issue(ISTIOD, List.of(HOST), Duration.ofHours(10));
                },
                clock);
        WorkloadCertificate first = keys.certificate();

        clock.advance(Duration.ofHours(4));
        keys.chooseEngineServerAlias("EC", null, null);
        assertThat(keys.certificate()).isSameAs(first);

        clock.advance(Duration.ofHours(2)); // past the half of 10 h (+ the CA's backdating)
        keys.chooseEngineServerAlias("EC", null, null);
        assertThat(keys.certificate()).isNotSameAs(first);
        assertThat(keys.certificate().notAfter()).isAfter(first.notAfter());
        assertThat(issued).hasValue(2);
        assertThat(keys.getCertificateChain("webhook")[0])
                .isEqualTo(keys.certificate().leaf());
    }

    @Test
    void aRenewalThatFailsKeepsTheCurrentCertificateAndIsTriedAgain() {
        MovableClock clock = new MovableClock(Instant.parse("2030-01-01T00:00:00Z"));
        MeshCertificateAuthority timed = ca.withOptions(CaOptions.defaults().withClock(clock));
        AtomicInteger calls = new AtomicInteger();
        Supplier<WorkloadCertificate> flaky = () -> {
            if (calls.incrementAndGet() == 2) {
                throw new IllegalStateException("CA certificate expired");
            }
            return timed.issue(ISTIOD, List.of(HOST), Duration.ofHours(10));
        };
        IssuedKeyManager keys = new IssuedKeyManager(flaky, clock);
        WorkloadCertificate first = keys.certificate();

        clock.advance(Duration.ofHours(6));
        assertThat(keys.chooseEngineServerAlias("EC", null, null)).isEqualTo("webhook");
        assertThat(keys.certificate()).isSameAs(first);

        keys.chooseEngineServerAlias("EC", null, null);
        assertThat(keys.certificate()).isNotSameAs(first);
        assertThat(calls).hasValue(3);
    }
}
