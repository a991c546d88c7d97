package io.ambientjava.hbone.authority;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HboneAuthorityTest {

    @Test
    void parsesIpv4() throws Exception {
        HboneAuthority authority = HboneAuthority.parse("198.18.0.5:8080");
        assertThat(authority.address()).isInstanceOf(Inet4Address.class);
        assertThat(authority.address()).isEqualTo(InetAddress.getByName("198.18.0.5"));
        assertThat(authority.port()).isEqualTo(8080);
        assertThat(authority).hasToString("198.18.0.5:8080");
        assertThat(authority.socketAddress()).isEqualTo(new InetSocketAddress("198.18.0.5", 8080));
    }

    @Test
    void parsesBracketedIpv6AndPrintsItBack() {
        HboneAuthority authority = HboneAuthority.parse("[fd00::5]:15008");
        assertThat(authority.address()).isInstanceOf(Inet6Address.class);
        assertThat(authority.port()).isEqualTo(15008);
        assertThat(authority).hasToString("[fd00:0:0:0:0:0:0:5]:15008");
        assertThat(HboneAuthority.parse(authority.toString())).isEqualTo(authority);
    }

    @Test
    void roundTripsFromSocketAddress() {
        var address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 443);
        assertThat(HboneAuthority.parse(HboneAuthority.of(address).toString()).socketAddress())
                .isEqualTo(address);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "''                   | missing",
                "127.0.0.1            | has no port",
                "127.0.0.1:           | invalid port ''",
                "127.0.0.1:0          | outside 1-65535",
                "127.0.0.1:65536      | outside 1-65535",
                "127.0.0.1:08080      | leading zero",
                "127.0.0.1:80a        | invalid port '80a'",
                "example.com:80       | does not start with an IPv4 address",
                "1.2.3:80             | does not start with an IPv4 address",
                "1.2.3.4.5:80         | does not start with an IPv4 address",
                "256.1.1.1:80         | octet 256 > 255",
                "010.1.1.1:80         | invalid IPv4 octet '010'",
                "0x7f.0.0.1:80        | invalid IPv4 octet '0x7f'",
                "::1:80               | without brackets",
                "[::1:80              | unterminated IPv6 literal",
                "[]:80                | unterminated IPv6 literal",
                "[fe80::1%eth0]:80    | zone id",
                "[zz::1]:80           | invalid IPv6 address 'zz::1'",
            })
    void rejectsWithAReason(String text, String reason) {
        assertThatThrownBy(() -> HboneAuthority.parse(text))
                .isInstanceOf(InvalidAuthorityException.class)
                .hasMessageContaining(reason);
    }

    @Test
    void rejectsOverlongInput() {
        assertThatThrownBy(() -> HboneAuthority.parse("1".repeat(100) + ":80"))
                .isInstanceOf(InvalidAuthorityException.class)
                .hasMessageContaining("103 characters");
    }

    @Test
    void rejectsNullAndUnresolved() {
        assertThatThrownBy(() -> HboneAuthority.parse(null)).hasMessageContaining("missing");
        assertThatThrownBy(() -> HboneAuthority.of(InetSocketAddress.createUnresolved("svc", 80)))
                .hasMessageContaining("unresolved");
    }
}
