package io.ambientjava.identity.tls;

import static io.ambientjava.identity.tls.TlsLoopback.await;
import static io.ambientjava.identity.tls.TlsLoopback.failureOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.testpki.TestAuthority;
import io.netty.handler.ssl.OpenSsl;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class MeshTlsHandshakeTest {

    private static final SpiffeId SERVER = SpiffeId.parse("spiffe://cluster.local/ns/payments/sa/server");
    private static final SpiffeId CLIENT = SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/client");

    private static final MeshCertificateAuthority CA = MeshCertificateAuthority.createSelfSigned("cluster.local");
    private static final WorkloadCertificate SERVER_CERT = CA.issue(SERVER);
    private static final WorkloadCertificate CLIENT_CERT = CA.issue(CLIENT);
    private static final TlsLoopback LOOPBACK = new TlsLoopback();

    @AfterAll
    static void stop() {
        LOOPBACK.close();
    }

    @Test
    void openSslIsTheProvider() {
        MeshTls.requireOpenSsl();
        assertThat(OpenSsl.isAvailable()).isTrue();
        assertThat(MeshTls.serverContext(SERVER_CERT, CA.trustBundle()).isServer())
                .isTrue();
        assertThat(MeshTls.serverContext(SERVER_CERT, CA.trustBundle())
                        .getClass()
                        .getName())
                .contains("OpenSsl");
    }

    @Test
    void mutualTlsProvesBothIdentitiesOverTls13WithH2() throws Exception {
        var handshake = LOOPBACK.handshake(
                MeshTls.serverContext(SERVER_CERT, CA.trustBundle()),
                MeshTls.clientContext(CLIENT_CERT, CA.trustBundle()));

        TlsLoopback.Outcome server = await(handshake.server());
        TlsLoopback.Outcome client = await(handshake.client());

        assertThat(PeerIdentity.of(server.session())).isEqualTo(CLIENT);
        assertThat(PeerIdentity.of(client.session())).isEqualTo(SERVER);
        assertThat(PeerIdentity.verify(client.session(), Set.of(SERVER))).isEqualTo(SERVER);
        assertThat(server.applicationProtocol()).isEqualTo("h2");
        assertThat(client.applicationProtocol()).isEqualTo("h2");
        assertThat(server.protocol()).isEqualTo("TLSv1.3");
        assertThat(client.protocol()).isEqualTo("TLSv1.3");
    }

    @Test
    void verifyNamesExpectedAndActualIdentities() throws Exception {
        var handshake = LOOPBACK.handshake(
                MeshTls.serverContext(SERVER_CERT, CA.trustBundle()),
                MeshTls.clientContext(CLIENT_CERT, CA.trustBundle()));
        TlsLoopback.Outcome client = await(handshake.client());
        SpiffeId expected = SpiffeId.parse("spiffe://cluster.local/ns/payments/sa/other");

        assertThatThrownBy(() -> PeerIdentity.verify(client.session(), Set.of(expected)))
                .isInstanceOf(PeerIdentityException.class)
                .hasMessageContaining("expected " + expected)
                .hasMessageContaining("peer identity " + SERVER);
    }

    @Test
    void serverCertificateFromAnotherCaFailsTheHandshake() throws Exception {
        MeshCertificateAuthority other = MeshCertificateAuthority.createSelfSigned("cluster.local");
        var handshake = LOOPBACK.handshake(
                MeshTls.serverContext(other.issue(SERVER), other.trustBundle()),
                MeshTls.clientContext(CLIENT_CERT, CA.trustBundle()));

        assertThat(failureOf(handshake.client())).isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void clientCertificateFromAnotherCaFailsTheHandshake() throws Exception {
        MeshCertificateAuthority other = MeshCertificateAuthority.createSelfSigned("cluster.local");
        var handshake = LOOPBACK.handshake(
                MeshTls.serverContext(SERVER_CERT, CA.trustBundle()),
                MeshTls.clientContext(other.issue(CLIENT), CA.trustBundle()));

        assertThat(failureOf(handshake.server())).isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void expiredClientCertificateFailsTheHandshake() throws Exception {
        TestAuthority authority = TestAuthority.root("test root");
        Instant now = Instant.now();
        WorkloadCertificate expired = authority.leaf(
                CLIENT, List.of(CLIENT.toString()), now.minus(Duration.ofHours(2)), now.minus(Duration.ofHours(1)));
        var handshake = LOOPBACK.handshake(
                MeshTls.serverContext(authority.leaf(SERVER), authority.trustBundle()),
                MeshTls.clientContext(expired, authority.trustBundle()));

        Throwable failure = failureOf(handshake.server());
        assertThat(failure).isInstanceOf(SSLHandshakeException.class);
        assertThat(causes(failure)).anyMatch(message -> message.contains("expired") || message.contains("NotAfter"));
    }

    @Test
    void notYetValidServerCertificateFailsTheHandshake() throws Exception {
        TestAuthority authority = TestAuthority.root("test root");
        Instant now = Instant.now();
        WorkloadCertificate future = authority.leaf(
                SERVER, List.of(SERVER.toString()), now.plus(Duration.ofHours(1)), now.plus(Duration.ofHours(2)));
        var handshake = LOOPBACK.handshake(
                MeshTls.serverContext(future, authority.trustBundle()),
                MeshTls.clientContext(authority.leaf(CLIENT), authority.trustBundle()));

        Throwable failure = failureOf(handshake.client());
        assertThat(failure).isInstanceOf(SSLHandshakeException.class);
        assertThat(causes(failure))
                .anyMatch(message -> message.contains("not yet valid") || message.contains("NotBefore"));
    }

    @Test
    void intermediateChainsVerify() throws Exception {
        TestAuthority root = TestAuthority.root("test root");
        TestAuthority intermediate = root.intermediate("cluster-1");
        var handshake = LOOPBACK.handshake(
                MeshTls.serverContext(intermediate.leaf(SERVER), root.trustBundle()),
                MeshTls.clientContext(intermediate.leaf(CLIENT), root.trustBundle()));

        assertThat(PeerIdentity.of(await(handshake.server()).session())).isEqualTo(CLIENT);
        assertThat(PeerIdentity.of(await(handshake.client()).session())).isEqualTo(SERVER);
    }

    private static List<String> causes(Throwable failure) {
        List<String> messages = new java.util.ArrayList<>();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.add(String.valueOf(t.getMessage()));
        }
        return messages;
    }
}
