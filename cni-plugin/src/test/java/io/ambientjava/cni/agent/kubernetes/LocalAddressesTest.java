package io.ambientjava.cni.agent.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class LocalAddressesTest {
    private static final String FIB_TRIE = """
            Main:
              +-- 0.0.0.0/0 3 0 5
                 |-- 0.0.0.0
                    /0 universe UNICAST
                 +-- 198.18.0.0/24 2 0 2
                    |-- 198.18.0.0
                       /24 link UNICAST
                    |-- 198.18.0.7
                       /32 host LOCAL
                    |-- 198.18.0.255
                       /32 link BROADCAST
            Local:
                 |-- 127.0.0.1
                    /32 host LOCAL
                 |-- 198.18.0.7
                    /32 host LOCAL
            """;
    private static final String IF_INET6 = """
            00000000000000000000000000000001 01 80 10 80       lo
            fd000000000000000000000000000007 02 40 00 80     eth0
            garbage
            """;

    @Test
    void localIpv4AddressesAreTheHostLocalEntries() {
        assertThat(LocalAddresses.parseFibTrie(FIB_TRIE))
                .containsExactlyInAnyOrder(InetAddress.ofLiteral("127.0.0.1"), InetAddress.ofLiteral("198.18.0.7"));
    }

    @Test
    void ipv6AddressesComeFromIfInet6AndBadLinesAreSkipped() {
        assertThat(LocalAddresses.parseIfInet6(IF_INET6))
                .containsExactlyInAnyOrder(InetAddress.ofLiteral("::1"), InetAddress.ofLiteral("fd00::7"));
    }

    @Test
    void bothFilesFromOneCommand() {
        assertThat(LocalAddresses.parseCombined(FIB_TRIE + LocalAddresses.SEPARATOR + "\n" + IF_INET6))
                .contains(InetAddress.ofLiteral("198.18.0.7"), InetAddress.ofLiteral("fd00::7"));
        assertThat(LocalAddresses.parseCombined("not a trie")).isEmpty();
    }
}
