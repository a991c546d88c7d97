package io.ambientjava.hbone.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.hbone.authority.HboneAuthority;
import io.ambientjava.identity.SpiffeId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConnectRequestTest {

    private static final InetSocketAddress PEER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 15008);
    private static final HboneAuthority TARGET = HboneAuthority.parse("127.0.0.1:8080");
    private static final SpiffeId SERVER = SpiffeId.parse("spiffe://cluster.local/ns/b/sa/server");
    private static final ClientSecurity TLS =
            ClientSecurity.mutualTls(SpiffeId.parse("spiffe://cluster.local/ns/a/sa/client"), () -> null);

    @Test
    void forwardedForQuotesTheOriginalSource() throws Exception {
        var request = ConnectRequest.of(TLS, Set.of(SERVER), PEER, TARGET)
                .withForwardedFor(new InetSocketAddress(InetAddress.getByName("198.18.0.7"), 43210))
                .withHeader("baggage", "k8s.namespace.name=a");
        assertThat(request.headers())
                .containsExactly(
                        java.util.Map.entry("forwarded", "for=\"198.18.0.7:43210\""),
                        java.util.Map.entry("baggage", "k8s.namespace.name=a"));
    }

    @Test
    void forwardedForBracketsIpv6() throws Exception {
        var request = ConnectRequest.of(TLS, Set.of(SERVER), PEER, TARGET)
                .withForwardedFor(new InetSocketAddress(InetAddress.getByName("fd00::7"), 1));
        assertThat(request.headers().get("forwarded")).isEqualTo("for=\"[fd00:0:0:0:0:0:0:7]:1\"");
    }

    @Test
    void mutualTlsNeedsAnExpectedPeer() {
        assertThatThrownBy(() -> ConnectRequest.of(TLS, Set.of(), PEER, TARGET))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no expected peer identity");
        assertThat(ConnectRequest.of(ClientSecurity.plaintext(), Set.of(), PEER, TARGET)
                        .expectedPeerIdentities())
                .isEmpty();
    }

    @Test
    void rejectsHeadersHttp2CannotCarry() {
        var request = ConnectRequest.of(TLS, Set.of(SERVER), PEER, TARGET);
        assertThatThrownBy(() -> request.withHeader("Baggage", "x")).hasMessageContaining("lower-case");
        assertThatThrownBy(() -> request.withHeader(":path", "/")).hasMessageContaining("pseudo-header");
        assertThatThrownBy(() -> request.withHeader("connection", "close")).hasMessageContaining("connection-specific");
        assertThatThrownBy(() -> request.withHeader("x", "a\r\nb")).hasMessageContaining("CR, LF or NUL");
    }

    @Test
    void rejectsUnresolvedPeers() {
        assertThatThrownBy(() ->
                        ConnectRequest.of(TLS, Set.of(SERVER), InetSocketAddress.createUnresolved("x", 1), TARGET))
                .hasMessageContaining("unresolved");
    }

    @Test
    void poolKeyDependsOnIdentitiesPeerAndDialer() throws Exception {
        var request = ConnectRequest.of(TLS, Set.of(SERVER), PEER, TARGET);
        assertThat(PoolKey.of(request)).isEqualTo(PoolKey.of(request.withForwardedFor(PEER)));
        assertThat(PoolKey.of(request))
                .isNotEqualTo(
                        PoolKey.of(request.withDialer(HboneDialer.fromLocalAddress(InetAddress.getLoopbackAddress()))));
        assertThat(PoolKey.of(request.withDialer(HboneDialer.fromLocalAddress(InetAddress.getLoopbackAddress()))))
                .isEqualTo(
                        PoolKey.of(request.withDialer(HboneDialer.fromLocalAddress(InetAddress.getLoopbackAddress()))));
        assertThat(PoolKey.of(request))
                .isNotEqualTo(PoolKey.of(ConnectRequest.of(
                        TLS, Set.of(SERVER), new InetSocketAddress(InetAddress.getLoopbackAddress(), 15009), TARGET)));
    }
}
