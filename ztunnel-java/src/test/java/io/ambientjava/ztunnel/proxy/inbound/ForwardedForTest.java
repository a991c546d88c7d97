package io.ambientjava.ztunnel.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class ForwardedForTest {

    @Test
    void readsTheQuotedAddressAndPortHboneClientsSend() {
        assertThat(ForwardedFor.parse("for=\"198.18.1.2:43210\"")).contains(new InetSocketAddress("198.18.1.2", 43210));
    }

    @Test
    void readsTheFirstElementWithOtherParameters() {
        assertThat(ForwardedFor.parse("host=echo.default.svc;For=\"198.18.1.2:1\";proto=http, for=198.18.9.9"))
                .contains(new InetSocketAddress("198.18.1.2", 1));
        assertThat(ForwardedFor.parse("for=\"198.18.1.2:1\";host=echo.default.svc.cluster.local"))
                .contains(new InetSocketAddress("198.18.1.2", 1));
    }

    @Test
    void acceptsBracketedIpv6AndAddressesWithoutPort() {
        assertThat(ForwardedFor.parse("for=\"[2001:db8::7]:8080\""))
                .contains(new InetSocketAddress("2001:db8::7", 8080));
        assertThat(ForwardedFor.parse("for=198.18.1.2")).contains(new InetSocketAddress("198.18.1.2", 0));
    }

    @Test
    void ignoresWhatIsNotAnIpLiteral() {
        assertThat(ForwardedFor.parse(null)).isEmpty();
        assertThat(ForwardedFor.parse("")).isEmpty();
        assertThat(ForwardedFor.parse("for=unknown")).isEmpty();
        assertThat(ForwardedFor.parse("for=_hidden")).isEmpty();
        assertThat(ForwardedFor.parse("for=\"example.com:80\"")).isEmpty();
        assertThat(ForwardedFor.parse("for=\"2001:db8::7\"")).isEmpty();
        assertThat(ForwardedFor.parse("for=\"[2001:db8::7\"")).isEmpty();
        assertThat(ForwardedFor.parse("for=\"198.18.1.2:99999\"")).isEmpty();
        assertThat(ForwardedFor.parse("for=\"198.18.1.2:port\"")).isEmpty();
        assertThat(ForwardedFor.parse("by=198.18.1.2")).isEmpty();
    }
}
