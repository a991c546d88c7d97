package io.ambientjava.identity.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.CaOptions;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.tls.PeerIdentity;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The manager with the real CA, the real clock and its own scheduler: short-lived certificates rotate. */
class LocalCaRotationTest {

    private static final SpiffeId ALICE = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/alice");

    @Test
    void shortLivedCertificatesRotateBeforeTheyExpire() throws Exception {
        MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned(
                "cluster.local", CaOptions.defaults().withClockSkew(Duration.ZERO));
        List<WorkloadCertificate> rotated = new CopyOnWriteArrayList<>();
        try (WorkloadCertificateManager manager =
                WorkloadCertificateManager.create(new LocalCaCertificateProvider(ca, Duration.ofSeconds(2)))) {
            manager.addListener((identity, previous, current) -> rotated.add(current));

            WorkloadCertificate first = manager.certificateFor(ALICE).get(5, TimeUnit.SECONDS);
            assertThat(PeerIdentity.of(first.leaf())).isEqualTo(ALICE);
            first.leaf().verify(manager.trustBundle().roots().getFirst().getPublicKey());

            await().atMost(Duration.ofSeconds(5)).until(() -> !rotated.isEmpty());
            WorkloadCertificate second = manager.certificateFor(ALICE).get(5, TimeUnit.SECONDS);
            assertThat(second).isNotSameAs(first);
            assertThat(second.notAfter()).isAfter(first.notAfter());
            assertThat(second.leaf().getSerialNumber())
                    .isNotEqualTo(first.leaf().getSerialNumber());
        }
    }
}
