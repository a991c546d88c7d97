package io.ambientjava.identity.tls;

import static io.ambientjava.identity.tls.TlsLoopback.await;
import static io.ambientjava.identity.tls.TlsLoopback.failureOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.testpki.TestAuthority;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** What the mesh TLS contexts refuse: old TLS, missing client certs, no h2, ambiguous identities. */
class MeshTlsPolicyTest {

    private static final SpiffeId SERVER = SpiffeId.parse("spiffe://cluster.local/ns/payments/sa/server");
    private static final SpiffeId CLIENT = SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/client");

    private static final TestAuthority AUTHORITY = TestAuthority.root("test root");
    private static final WorkloadCertificate SERVER_CERT = AUTHORITY.leaf(SERVER);
    private static final WorkloadCertificate CLIENT_CERT = AUTHORITY.leaf(CLIENT);
    private static final TlsLoopback LOOPBACK = new TlsLoopback();

    @AfterAll
    static void stop() {
        LOOPBACK.close();
    }

    @Test
    void clientWithoutACertificateIsRefused() throws Exception {
        SslContext anonymous = plainClient().build();
        var handshake = LOOPBACK.handshake(MeshTls.serverContext(SERVER_CERT, AUTHORITY.trustBundle()), anonymous);

        assertThat(failureOf(handshake.server())).isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void tls12ClientIsRefused() throws Exception {
        SslContext tls12 = plainClient()
                .keyManager(CLIENT_CERT.privateKey(), CLIENT_CERT.chain())
                .protocols("TLSv1.2")
                .build();
        var handshake = LOOPBACK.handshake(MeshTls.serverContext(SERVER_CERT, AUTHORITY.trustBundle()), tls12);

        assertThat(failureOf(handshake.server())).isInstanceOf(SSLException.class);
        assertThat(failureOf(handshake.client())).isInstanceOf(SSLException.class);
    }

    @Test
    void clientThatDoesNotOfferH2NegotiatesNothingAndRequireH2RefusesIt() throws Exception {
        SslContext http11 = plainClient()
                .keyManager(CLIENT_CERT.privateKey(), CLIENT_CERT.chain())
                .applicationProtocolConfig(new ApplicationProtocolConfig(
                        ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        "http/1.1"))
                .build();
        var handshake = LOOPBACK.handshake(MeshTls.serverContext(SERVER_CERT, AUTHORITY.trustBundle()), http11);
        TlsLoopback.Outcome server = await(handshake.server());

        assertThat(server.applicationProtocol()).isNull();
        assertThatThrownBy(() -> MeshTls.requireH2(server.handler()))
                .isInstanceOf(ApplicationProtocolException.class)
                .hasMessageContaining("did not negotiate ALPN h2")
                .hasMessageContaining("negotiated: none");
    }

    @Test
    void requireH2AcceptsAMeshHandshake() throws Exception {
        var handshake = LOOPBACK.handshake(
                MeshTls.serverContext(SERVER_CERT, AUTHORITY.trustBundle()),
                MeshTls.clientContext(CLIENT_CERT, AUTHORITY.trustBundle()));

        MeshTls.requireH2(await(handshake.server()).handler());
        MeshTls.requireH2(await(handshake.client()).handler());
    }

    @Test
    void peerWithTwoUriSansHandshakesButHasNoIdentity() throws Exception {
        Instant now = Instant.now();
        String other = "spiffe://cluster.local/ns/shop/sa/other";
        WorkloadCertificate twoSans = AUTHORITY.leaf(
                CLIENT,
                List.of(CLIENT.toString(), other),
                now.minus(Duration.ofHours(1)),
                now.plus(Duration.ofHours(1)));
        var handshake = LOOPBACK.handshake(
                MeshTls.serverContext(SERVER_CERT, AUTHORITY.trustBundle()),
                MeshTls.clientContext(twoSans, AUTHORITY.trustBundle()));
        TlsLoopback.Outcome server = await(handshake.server());

        assertThatThrownBy(() -> PeerIdentity.of(server.session()))
                .isInstanceOf(PeerIdentityException.class)
                .hasMessageContaining("2 URI SANs")
                .hasMessageContaining(CLIENT.toString())
                .hasMessageContaining(other);
        assertThatThrownBy(() -> PeerIdentity.verify(server.session(), Set.of(CLIENT)))
                .isInstanceOf(PeerIdentityException.class);
    }

    @Test
    void peerWithANonSpiffeUriHasNoIdentity() throws Exception {
        Instant now = Instant.now();
        WorkloadCertificate web = AUTHORITY.leaf(
                CLIENT,
                List.of("https://shop.example/client"),
                now.minus(Duration.ofHours(1)),
                now.plus(Duration.ofHours(1)));
        var handshake = LOOPBACK.handshake(
                MeshTls.serverContext(SERVER_CERT, AUTHORITY.trustBundle()),
                MeshTls.clientContext(web, AUTHORITY.trustBundle()));
        TlsLoopback.Outcome server = await(handshake.server());

        assertThatThrownBy(() -> PeerIdentity.of(server.session()))
                .isInstanceOf(PeerIdentityException.class)
                .hasMessageContaining("not a SPIFFE ID")
                .hasMessageContaining("https://shop.example/client");
    }

    @Test
    void peerWithoutAUriSanHasNoIdentity() {
        Instant now = Instant.now();
        WorkloadCertificate none =
                AUTHORITY.leaf(CLIENT, List.of(), now.minus(Duration.ofHours(1)), now.plus(Duration.ofHours(1)));

        assertThatThrownBy(() -> PeerIdentity.of(none.leaf()))
                .isInstanceOf(PeerIdentityException.class)
                .hasMessageContaining("no URI SAN");
    }

    @Test
    void sessionWithoutPeerCertificateHasNoIdentity() {
        javax.net.ssl.SSLSession anonymous = (javax.net.ssl.SSLSession) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {javax.net.ssl.SSLSession.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getPeerCertificates")) {
                        throw new javax.net.ssl.SSLPeerUnverifiedException("peer not authenticated");
                    }
                    throw new UnsupportedOperationException(method.getName());
                });

        assertThatThrownBy(() -> PeerIdentity.of(anonymous))
                .isInstanceOf(PeerIdentityException.class)
                .hasMessageContaining("no verified certificate");
    }

    @Test
    void verifyWithSeveralAllowedIdentitiesNamesThemAll() throws Exception {
        var handshake = LOOPBACK.handshake(
                MeshTls.serverContext(SERVER_CERT, AUTHORITY.trustBundle()),
                MeshTls.clientContext(CLIENT_CERT, AUTHORITY.trustBundle()));
        TlsLoopback.Outcome client = await(handshake.client());
        SpiffeId a = SpiffeId.parse("spiffe://cluster.local/ns/a/sa/a");
        SpiffeId b = SpiffeId.parse("spiffe://cluster.local/ns/b/sa/b");

        assertThat(PeerIdentity.verify(client.session(), Set.of(a, SERVER))).isEqualTo(SERVER);
        assertThatThrownBy(() -> PeerIdentity.verify(client.session(), Set.of(a, b)))
                .hasMessageContaining("one of")
                .hasMessageContaining(a.toString())
                .hasMessageContaining(b.toString())
                .hasMessageContaining("peer identity " + SERVER);
    }

    /** A BoringSSL client that trusts the mesh root but is otherwise not configured like the mesh. */
    private static SslContextBuilder plainClient() {
        return SslContextBuilder.forClient()
                .sslProvider(SslProvider.OPENSSL)
                .trustManager(AUTHORITY.rootCertificate())
                .endpointIdentificationAlgorithm(null);
    }
}
