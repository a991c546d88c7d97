package io.ambientjava.ztunnel.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.CaOptions;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.manager.CertificateProvider;
import io.ambientjava.identity.manager.CertificateUnavailableException;
import io.ambientjava.identity.manager.LocalCaCertificateProvider;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WorkloadCertificatesTest {

    private static final MeshCertificateAuthority CA = MeshCertificateAuthority.createSelfSigned(
            "cluster.local", CaOptions.defaults().withClockSkew(Duration.ZERO));
    private static final SpiffeId WEB = new SpiffeId("cluster.local", "default", "web");

    private WorkloadCertificates certificates;

    @AfterEach
    void tearDown() {
        if (certificates != null) {
            certificates.close();
        }
    }

    @Test
    void theFirstPodOfAnIdentityFetchesItsCertificateAndContexts() throws Exception {
        certificates = new WorkloadCertificates(new LocalCaCertificateProvider(CA));

        certificates.acquire(WEB).get(5, TimeUnit.SECONDS);

        assertThat(certificates.current(WEB))
                .hasValueSatisfying(c -> assertThat(c.identity()).isEqualTo(WEB));
        SslContext server = certificates.serverContext(WEB);
        assertThat(server.isServer()).isTrue();
        assertThat(certificates.clientContext(WEB).isClient()).isTrue();
        assertThat(certificates.serverContext(WEB)).isSameAs(server);
        assertThat(certificates.certificates()).singleElement().satisfies(info -> {
            assertThat(info.state()).isEqualTo(CertificateState.AVAILABLE);
            assertThat(info.pods()).isEqualTo(1);
            assertThat(info.chain()).hasSizeGreaterThanOrEqualTo(2);
            assertThat(info.error()).isEmpty();
            assertThat(info.notBefore()).isPresent();
        });
    }

    @Test
    void aRenewedCertificateGetsNewContextsForNewConnections() throws Exception {
        certificates = new WorkloadCertificates(new LocalCaCertificateProvider(CA, Duration.ofSeconds(2)));
        certificates.acquire(WEB).get(5, TimeUnit.SECONDS);
        WorkloadCertificate first = certificates.current(WEB).orElseThrow();
        SslContext firstServer = certificates.serverContext(WEB);
        SslContext firstClient = certificates.clientContext(WEB);

        await().atMost(Duration.ofSeconds(5))
                .until(() -> certificates.current(WEB).filter(c -> c != first).isPresent());

        assertThat(certificates.serverContext(WEB)).isNotSameAs(firstServer);
        assertThat(certificates.clientContext(WEB)).isNotSameAs(firstClient);
    }

    @Test
    void theLastPodLeavingDropsTheCertificate() throws Exception {
        certificates = new WorkloadCertificates(new LocalCaCertificateProvider(CA));
        certificates.acquire(WEB).get(5, TimeUnit.SECONDS);
        certificates.acquire(WEB).get(5, TimeUnit.SECONDS);

        certificates.release(WEB);
        assertThat(certificates.certificates())
                .singleElement()
                .satisfies(info -> assertThat(info.pods()).isEqualTo(1));
        certificates.release(WEB);
        certificates.release(WEB);

        assertThat(certificates.certificates()).isEmpty();
        assertThat(certificates.current(WEB)).isEmpty();
        assertThatThrownBy(() -> certificates.serverContext(WEB))
                .isInstanceOf(CertificateUnavailableException.class)
                .hasMessage("no valid certificate for " + WEB + " (not fetched yet)");
    }

    @Test
    void aFailingCertificateAuthorityIsReportedWithItsReason() {
        certificates = new WorkloadCertificates(
                new FixedProvider(CompletableFuture.failedFuture(new IllegalStateException("CA unreachable"))));

        assertThat(certificates.acquire(WEB))
                .failsWithin(Duration.ofSeconds(5))
                .withThrowableThat()
                .withMessageContaining("CA unreachable");
        assertThat(certificates.certificates()).singleElement().satisfies(info -> {
            assertThat(info.state()).isEqualTo(CertificateState.UNAVAILABLE);
            assertThat(info.error()).hasValueSatisfying(e -> assertThat(e).contains("CA unreachable"));
            assertThat(info.chain()).isEmpty();
        });
        assertThatThrownBy(() -> certificates.clientContext(WEB))
                .isInstanceOf(CertificateUnavailableException.class)
                .hasMessageContaining("CA unreachable");
    }

    @Test
    void aCertificateStillBeingFetchedIsInitializing() {
        certificates = new WorkloadCertificates(new FixedProvider(new CompletableFuture<>()));

        assertThat(certificates.acquire(WEB)).isNotDone();
        assertThat(certificates.certificates())
                .singleElement()
                .satisfies(info -> assertThat(info.state()).isEqualTo(CertificateState.INITIALIZING));
    }

    /** Answers every fetch with the same future. */
    private record FixedProvider(CompletableFuture<WorkloadCertificate> answer) implements CertificateProvider {
        @Override
        public CompletableFuture<WorkloadCertificate> fetch(SpiffeId identity) {
            return answer;
        }

        @Override
        public TrustBundle trustBundle() {
            return CA.trustBundle();
        }
    }
}
