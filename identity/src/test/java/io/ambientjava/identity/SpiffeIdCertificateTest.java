package io.ambientjava.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.identity.testpki.TestAuthority;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpiffeIdCertificateTest {

    private static final SpiffeId ALICE = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/alice");
    private static final TestAuthority AUTHORITY = TestAuthority.root("test root");

    @Test
    void readsTheSingleUriSan() {
        assertThat(SpiffeId.fromCertificate(AUTHORITY.leaf(ALICE).leaf())).isEqualTo(ALICE);
    }

    @Test
    void twoUriSansAreNamed() {
        String bob = "spiffe://cluster.local/ns/default/sa/bob";
        var cert = AUTHORITY.leaf(
                ALICE,
                List.of(ALICE.toString(), bob),
                Instant.now(),
                Instant.now().plus(Duration.ofHours(1)));

        assertThatThrownBy(() -> SpiffeId.fromCertificate(cert.leaf()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 URI SANs")
                .hasMessageContaining(ALICE.toString())
                .hasMessageContaining(bob);
    }

    @Test
    void uriThatIsNotASpiffeIdIsRefused() {
        var cert = AUTHORITY.leaf(
                ALICE,
                List.of("spiffe://cluster.local/workload/alice"),
                Instant.now(),
                Instant.now().plus(Duration.ofHours(1)));

        assertThatThrownBy(() -> SpiffeId.fromCertificate(cert.leaf()))
                .hasMessageContaining("spiffe://cluster.local/workload/alice")
                .hasMessageContaining("does not have the form");
    }
}
