package io.ambientjava.waypoint.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --dns-upstream} and its default, the nameservers of resolv.conf. */
class DnsUpstreamsTest {

    @TempDir
    Path tmp;

    @Test
    void theFlagTakesHostPortPairsInOrder() {
        WaypointMain main = new WaypointMain();
        new CommandLine(main)
                .parseArgs("--xds-address", "127.0.0.1:15010", "--dns-upstream", "127.0.0.1:5353,[::1]:53");
        assertThat(DnsUpstreams.parse(main.dnsUpstream))
                .containsExactly(new InetSocketAddress("127.0.0.1", 5353), new InetSocketAddress("::1", 53));
    }

    @Test
    void badValuesAreRefusedWithTheValue() {
        assertThatThrownBy(() -> DnsUpstreams.parse(List.of("127.0.0.1")))
                .hasMessageContaining("'127.0.0.1' must be HOST:PORT");
        assertThatThrownBy(() -> DnsUpstreams.parse(List.of("127.0.0.1:0"))).hasMessageContaining("1..65535");
        assertThatThrownBy(() -> DnsUpstreams.parse(List.of("127.0.0.1:dns"))).hasMessageContaining("not a number");
        assertThatThrownBy(() -> DnsUpstreams.parse(List.of("::1:53"))).hasMessageContaining("brackets");
    }

    @Test
    void resolvConfGivesItsNameserversOnPort53() throws Exception {
        Path conf = tmp.resolve("resolv.conf");
        Files.writeString(conf, """
                # a comment
                ; another
                search svc.cluster.local cluster.local
                nameserver 127.0.0.53
                nameserver   ::1
                nameserver not-an-address
                options ndots:5
                """);
        assertThat(DnsUpstreams.fromResolvConf(conf))
                .containsExactly(new InetSocketAddress("127.0.0.53", 53), new InetSocketAddress("::1", 53));
    }

    @Test
    void noResolvConfOrNoNameserverGivesNone() throws Exception {
        assertThat(DnsUpstreams.fromResolvConf(tmp.resolve("missing"))).isEmpty();
        Path conf = tmp.resolve("resolv.conf");
        Files.writeString(conf, "search example.test\n");
        assertThat(DnsUpstreams.fromResolvConf(conf)).isEmpty();
    }
}
