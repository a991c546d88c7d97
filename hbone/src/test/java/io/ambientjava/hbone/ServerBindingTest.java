package io.ambientjava.hbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.hbone.client.HboneClient;
import io.ambientjava.hbone.client.HboneClientConfig;
import io.ambientjava.hbone.server.DirectConnector;
import io.ambientjava.hbone.server.HboneServer;
import io.ambientjava.hbone.server.HboneServerConfig;
import io.ambientjava.hbone.server.HboneServerInitializer;
import io.ambientjava.hbone.server.ServerSecurity;
import io.ambientjava.hbone.testsupport.BlockingTcpServer;
import io.ambientjava.hbone.testsupport.TestPki;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Binding is pluggable: a bootstrap customizer, or the initializer on channels accepted elsewhere. */
@Timeout(30)
class ServerBindingTest {

    private static EventLoopGroup group;
    private static HboneServerConfig config;

    @BeforeAll
    static void start() {
        group = NettyTransport.newEventLoopGroup(2, "binding-test");
        var tls = TestPki.mesh().serverContext(TestPki.SERVER);
        config = HboneServerConfig.defaults(ServerSecurity.mutualTls(() -> tls));
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void usesEpollWhereItLoads() {
        if (io.netty.channel.epoll.Epoll.isAvailable()) {
            assertThat(NettyTransport.isEpoll(group)).isTrue();
            assertThat(NettyTransport.socketChannelClass(group))
                    .isEqualTo(io.netty.channel.epoll.EpollSocketChannel.class);
        }
    }

    @Test
    void customizerAdjustsTheBootstrapBeforeBind() throws Exception {
        var customized = new AtomicBoolean();
        try (var server = HboneServer.bind(group, loopback(0), config, new DirectConnector(), bootstrap -> {
                            bootstrap.option(ChannelOption.SO_REUSEADDR, true);
                            customized.set(true);
                        })
                        .get(10, TimeUnit.SECONDS);
                var target = BlockingTcpServer.echo()) {
            assertThat(customized).isTrue();
            assertEchoThrough(server.port(), target);
        }
    }

    @Test
    void initializerServesChannelsAcceptedElsewhere() throws Exception {
        Channel listener = new ServerBootstrap()
                .group(group)
                .channel(NettyTransport.serverChannelClass(group))
                .childHandler(new HboneServerInitializer(config, new DirectConnector()))
                .bind(loopback(0))
                .syncUninterruptibly()
                .channel();
        try (var target = BlockingTcpServer.echo()) {
            assertEchoThrough(((InetSocketAddress) listener.localAddress()).getPort(), target);
        } finally {
            listener.close().syncUninterruptibly();
        }
    }

    @Test
    void bindFailureSaysWhere() throws Exception {
        try (var first = HboneServer.bind(group, loopback(0), config, new DirectConnector())
                .get(10, TimeUnit.SECONDS)) {
            assertThatThrownBy(() -> HboneServer.bind(group, loopback(first.port()), config, new DirectConnector())
                            .join())
                    .isInstanceOf(CompletionException.class)
                    .hasMessageContaining("cannot bind HBONE server to")
                    .hasMessageContaining(String.valueOf(first.port()));
        }
    }

    private static void assertEchoThrough(int hbonePort, BlockingTcpServer target) throws Exception {
        try (var client = new HboneClient(group, HboneClientConfig.defaults())) {
            var request = io.ambientjava.hbone.client.ConnectRequest.of(
                    io.ambientjava.hbone.client.ClientSecurity.mutualTls(
                            TestPki.CLIENT, () -> TestPki.mesh().clientContext(TestPki.CLIENT)),
                    java.util.Set.of(TestPki.SERVER),
                    loopback(hbonePort),
                    io.ambientjava.hbone.authority.HboneAuthority.of(target.address()));
            var listener = new io.ambientjava.hbone.testsupport.OutboundListener(group, client, ch -> request);
            try (listener) {
                var digests = TunnelTransferTest.echo(listener.address(), 1024 * 1024, 3);
                assertThat(digests[1]).isEqualTo(digests[0]);
            }
        }
    }

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }
}
