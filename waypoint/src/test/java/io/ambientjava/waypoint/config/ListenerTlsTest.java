package io.ambientjava.waypoint.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which certificate a client's server name gets, as Envoy picks a filter chain by server_names. */
class ListenerTlsTest {

    @SuppressWarnings("deprecation")
    private static DownstreamTls tls(String subject) throws Exception {
        SelfSignedCertificate certificate = new SelfSignedCertificate(subject);
        SslContext context = SslContextBuilder.forServer(certificate.key(), certificate.cert())
                .build();
        return new DownstreamTls(context, List.of("http/1.1"), subject);
    }

    @Test
    void exactNamesWinThenTheLongestWildcardThenTheDefault() throws Exception {
        DownstreamTls exact = tls("exact");
        DownstreamTls shortWildcard = tls("short");
        DownstreamTls longWildcard = tls("long");
        DownstreamTls fallback = tls("default");
        ListenerTls chains = new ListenerTls(
                List.of(
                        new ListenerTls.Named(List.of("*.example.org"), shortWildcard),
                        new ListenerTls.Named(List.of("*.shop.example.org"), longWildcard),
                        new ListenerTls.Named(List.of("Cart.Shop.Example.org"), exact)),
                Optional.of(fallback));

        assertThat(chains.forServerName("cart.shop.example.org")).contains(exact);
        assertThat(chains.forServerName("CART.shop.example.org"))
                .as("names are case-insensitive")
                .contains(exact);
        assertThat(chains.forServerName("api.shop.example.org")).contains(longWildcard);
        assertThat(chains.forServerName("api.example.org")).contains(shortWildcard);
        assertThat(chains.forServerName("example.org"))
                .as("*.x does not take x itself")
                .contains(fallback);
        assertThat(chains.forServerName(null)).as("no SNI").contains(fallback);
        assertThat(chains.subjects()).containsExactly("short", "long", "exact", "default");
    }

    @Test
    void withoutADefaultChainAnUnknownNameFailsTheHandshakeNamingTheName() throws Exception {
        ListenerTls chains =
                new ListenerTls(List.of(new ListenerTls.Named(List.of("a.example"), tls("a"))), Optional.empty());
        assertThat(chains.bySni()).isTrue();
        assertThat(chains.sslContextFor("a.example")).isNotNull();
        assertThatThrownBy(() -> chains.sslContextFor("b.example")).hasMessageContaining("'b.example'");
        assertThatThrownBy(() -> chains.sslContextFor(null)).hasMessageContaining("(none sent)");
    }
}
