package io.ambientjava.ztunnel.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.dns.Dnsmasq;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The resolver for endpoints known by name, against a real DNS server (dnsmasq). */
@RequiresCommand("dnsmasq")
class UpstreamHostnameResolverTest {

    private static EventLoopGroup group;
    private static Dnsmasq dns;

    @BeforeAll
    static void start() throws Exception {
        group = NettyTransport.newEventLoopGroup(1, "resolver-test");
        dns = Dnsmasq.startOnLoopback(new Dnsmasq.Zone("external.test")
                .a("api.external.test", "198.18.77.1")
                .a("multi.external.test", "198.18.77.2", "198.18.77.3"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (dns != null) {
            dns.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aNameResolvesToItsAddress() {
        try (HostnameResolver resolver = resolver(List.of(dns.address()))) {
            assertThat(resolver.resolve("api.external.test").join()).isEqualTo(ip("198.18.77.1"));
            assertThat(resolver.resolve("API.External.Test").join()).isEqualTo(ip("198.18.77.1"));
        }
    }

    @Test
    void successiveCallsTakeTurnsOverAllAddresses() {
        try (HostnameResolver resolver = resolver(List.of(dns.address()))) {
            List<InetAddress> got = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                got.add(resolver.resolve("multi.external.test").join());
            }
            assertThat(got).containsOnly(ip("198.18.77.2"), ip("198.18.77.3"));
            assertThat(got.get(0)).isNotEqualTo(got.get(1));
            assertThat(got.get(0)).isEqualTo(got.get(2));
        }
    }

    @Test
    void anUnknownNameFailsNamingIt() {
        try (HostnameResolver resolver = resolver(List.of(dns.address()))) {
            assertThatThrownBy(() -> resolver.resolve("nope.external.test").join())
                    .isInstanceOf(CompletionException.class)
                    .cause()
                    .isInstanceOf(UnresolvedHostnameException.class)
                    .hasMessageContaining("nope.external.test");
        }
    }

    @Test
    void aDeadFirstUpstreamIsSkipped() throws Exception {
        InetSocketAddress dead;
        try (var socket = new java.net.DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            dead = (InetSocketAddress) socket.getLocalSocketAddress();
        }
        try (HostnameResolver resolver = resolver(List.of(dead, dns.address()))) {
            assertThat(resolver.resolve("api.external.test").join()).isEqualTo(ip("198.18.77.1"));
        }
    }

    @Test
    void withoutAnUpstreamEveryNameFailsSayingWhy() {
        try (HostnameResolver resolver = HostnameResolver.none("no upstream configured")) {
            assertThatThrownBy(() -> resolver.resolve("api.external.test").join())
                    .cause()
                    .isInstanceOf(UnresolvedHostnameException.class)
                    .hasMessage("cannot resolve api.external.test: no upstream configured");
        }
    }

    @Test
    void anEmptyUpstreamListIsRefused() {
        assertThatThrownBy(() -> resolver(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no upstream resolver");
    }

    private static HostnameResolver resolver(List<InetSocketAddress> upstreams) {
        return new UpstreamHostnameResolver(group.next(), upstreams, Duration.ofMillis(500));
    }

    private static InetAddress ip(String text) {
        return InetAddress.ofLiteral(text);
    }
}
