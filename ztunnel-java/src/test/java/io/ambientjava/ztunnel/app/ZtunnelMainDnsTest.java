package io.ambientjava.ztunnel.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.ztunnel.dns.DnsSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The DNS capture options: off by default, on by flag or ISTIO_META_DNS_CAPTURE, upstreams given or read. */
class ZtunnelMainDnsTest {
    @TempDir
    Path dir;

    private static DnsSettings dns(String... args) {
        ZtunnelMain main = new ZtunnelMain();
        new CommandLine(main).parseArgs(args);
        return main.settings().dns();
    }

    private static String usageError(Map<String, String> env, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ZtunnelMain.run(
                args,
                env,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                process -> {
                    throw new AssertionError("should not have started");
                });
        assertThat(exit).isEqualTo(ZtunnelMain.EXIT_USAGE);
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void offByDefault() {
        assertThat(dns().enabled()).isFalse();
    }

    @Test
    void onWithUpstreamsPortAndDomain() {
        DnsSettings dns = dns(
                "--dns-capture",
                "--dns-upstream=198.18.0.53:53,198.18.0.54:5353",
                "--dns-port=15054",
                "--cluster-domain=example.internal");
        assertThat(dns.enabled()).isTrue();
        assertThat(dns.upstreams())
                .containsExactly(new InetSocketAddress("198.18.0.53", 53), new InetSocketAddress("198.18.0.54", 5353));
        assertThat(dns.port()).isEqualTo(15054);
        assertThat(dns.clusterDomain()).isEqualTo("example.internal");
    }

    @Test
    void upstreamsDefaultToTheResolvConfNameservers() throws IOException {
        Path conf = Files.writeString(dir.resolve("resolv.conf"), "nameserver 198.18.0.53\n");
        DnsSettings dns = dns("--dns-capture", "--dns-resolv-conf=" + conf);
        assertThat(dns.upstreams()).containsExactly(new InetSocketAddress("198.18.0.53", 53));
        assertThat(dns.port()).isEqualTo(15053);
    }

    @Test
    void badValuesAreUsageErrorsNamingTheOption() {
        assertThat(usageError(Map.of(), "--dns-capture", "--dns-upstream=resolver.example:53"))
                .contains("--dns-upstream resolver.example:53")
                .contains("not an IP address");
        assertThat(usageError(Map.of("ISTIO_META_DNS_CAPTURE", "true"), "--dns-resolv-conf=/nonexistent/resolv.conf"))
                .contains("--dns-capture needs upstream resolvers: cannot read /nonexistent/resolv.conf");
        assertThat(usageError(Map.of(), "--dns-capture", "--dns-upstream=198.18.0.53:53", "--dns-port=0"))
                .contains("DNS port 0 is not in 1..65535");
    }
}
