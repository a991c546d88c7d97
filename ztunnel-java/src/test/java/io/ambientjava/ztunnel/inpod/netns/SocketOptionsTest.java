package io.ambientjava.ztunnel.inpod.netns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.EchoServer;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SocketOptionsTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final ChannelInitializer<Channel> NO_OP = new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel ch) {}
    };

    /** The in-pod outbound rule of istio-cni, reduced to what the test needs. */
    private static final String REDIRECT_OUTBOUND_TO_15001 = """
            table inet ztunnel-test {
              chain output {
                type nat hook output priority -100;
                meta l4proto tcp ip daddr != 127.0.0.1 meta mark & 0xfff != 0x539 redirect to :15001
              }
            }
            """;

    @Nested
    class Decoding {
        @Test
        void sockaddrInGivesAddressAndPort() {
            byte[] raw = sockaddr(16, 2, 8080, new byte[] {(byte) 198, 18, 1, 2}, 4);

            assertThat(SocketOptions.decodeSockaddr(MemorySegment.ofArray(raw)))
                    .isEqualTo(new InetSocketAddress("198.18.1.2", 8080));
        }

        @Test
        void sockaddrIn6GivesAddressAndPort() throws Exception {
            byte[] v6 = InetAddress.getByName("2001:db8::7").getAddress();
            byte[] raw = sockaddr(28, 10, 15008, v6, 8);

            InetSocketAddress decoded = SocketOptions.decodeSockaddr(MemorySegment.ofArray(raw));

            assertThat(decoded.getAddress().getAddress()).isEqualTo(v6);
            assertThat(decoded.getPort()).isEqualTo(15008);
        }

        @Test
        void malformedSockaddrsAreRejectedWithTheReason() {
            assertThatThrownBy(() -> SocketOptions.decodeSockaddr(MemorySegment.ofArray(new byte[1])))
                    .hasMessageContaining("has no family");
            assertThatThrownBy(() ->
                            SocketOptions.decodeSockaddr(MemorySegment.ofArray(sockaddr(16, 1, 0, new byte[4], 4))))
                    .hasMessageContaining("sockaddr family 1 is neither AF_INET nor AF_INET6");
            assertThatThrownBy(() ->
                            SocketOptions.decodeSockaddr(MemorySegment.ofArray(sockaddr(6, 2, 80, new byte[0], 4))))
                    .hasMessageContaining("sockaddr_in needs 8 bytes, got 6");
        }

        @Test
        void nonNativeChannelsAreRefused() {
            assertThatThrownBy(() -> SocketOptions.mark(new NioSocketChannel()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("socket options need a native (epoll) channel, not NioSocketChannel");
        }

        private static byte[] sockaddr(int size, int family, int port, byte[] address, int addressOffset) {
            ByteBuffer buffer = ByteBuffer.allocate(size);
            buffer.order(ByteOrder.nativeOrder()).putShort(0, (short) family);
            if (size >= 4) {
                buffer.order(ByteOrder.BIG_ENDIAN).putShort(2, (short) port);
            }
            buffer.put(addressOffset, address);
            return buffer.array();
        }
    }

    @Nested
    @RequiresRoot
    @RequiresCommand({"ip", "nft"})
    class InPods {
        @RegisterExtension
        final NetnsTopology net = NetnsTopology.singleNode();

        private NettyInNetns netty;
        private EventLoopGroup group;
        private Pod a;
        private Pod b;
        private NetworkNamespace nsB;

        @BeforeEach
        void setUp() throws Exception {
            NetnsExecutor executor = net.onTeardown(new NetnsExecutor("options-test"));
            netty = new NettyInNetns(executor);
            group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
            net.onTeardown(
                    () -> group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly());
            a = net.addPod("a");
            b = net.addPod("b");
            nsB = net.onTeardown(NetworkNamespace.open(b.netnsPath()));
        }

        @Test
        void markedChannelsCarryZtunnelsMark() throws Exception {
            EchoServer app = a.startEchoServer(0);
            Bootstrap client = new Bootstrap()
                    .group(group)
                    .handler(NO_OP)
                    .channelFactory(netty.channelFactory(
                            nsB, SocketOptions.marked(EpollSocketChannel::new, SocketOptions.ZTUNNEL_MARK), WAIT));
            Channel plain = get(
                    netty.connectInNetns(nsB, plainClient().channel(EpollSocketChannel.class), a.address(app.port())));

            Channel marked = client.connect(a.address(app.port())).sync().channel();

            assertThat(SocketOptions.mark(marked)).isEqualTo(0x539);
            assertThat(SocketOptions.mark(plain)).isZero();
            SocketOptions.setMark(plain, 0x111);
            assertThat(SocketOptions.mark(plain)).isEqualTo(0x111);
        }

        @Test
        void transparentAndFreebindCanBeSetAndRead() throws Exception {
            Channel listener = get(netty.bindInNetns(
                    nsB,
                    acceptingServer(new CompletableFuture<>()).option(EpollChannelOption.IP_TRANSPARENT, true),
                    new InetSocketAddress(0)));

            assertThat(SocketOptions.isTransparent(listener)).isTrue();
            assertThat(SocketOptions.isFreebind(listener)).isFalse();
            SocketOptions.setFreebind(listener, true);
            SocketOptions.setTransparent(listener, false);
            assertThat(SocketOptions.isFreebind(listener)).isTrue();
            assertThat(SocketOptions.isTransparent(listener)).isFalse();
            listener.close().sync();
            assertThatThrownBy(() -> SocketOptions.setMark(listener, 1)).hasMessageContaining("is closed");
        }

        @Test
        void aRedirectedConnectionRevealsItsOriginalDestination() throws Exception {
            EchoServer app = a.startEchoServer(8080);
            b.installNftables(REDIRECT_OUTBOUND_TO_15001);
            CompletableFuture<InetSocketAddress> seen = new CompletableFuture<>();
            get(netty.bindInNetns(nsB, acceptingServer(seen), new InetSocketAddress(15001)));

            try (Socket app2app = b.connect(a.address(8080))) {
                assertThat(app2app.getRemoteSocketAddress()).isEqualTo(a.address(8080));
                assertThat(get(seen)).isEqualTo(a.address(8080));
            }
            assertThat(app.clients()).isEmpty();
        }

        @Test
        void ztunnelsMarkedConnectionsPassTheRedirect() throws Exception {
            EchoServer app = a.startEchoServer(8080);
            b.installNftables(REDIRECT_OUTBOUND_TO_15001);
            CompletableFuture<InetSocketAddress> seen = new CompletableFuture<>();
            get(netty.bindInNetns(nsB, acceptingServer(seen), new InetSocketAddress(15001)));
            Bootstrap marked = plainClient()
                    .channelFactory(SocketOptions.marked(EpollSocketChannel::new, SocketOptions.ZTUNNEL_MARK));

            Channel direct = get(netty.connectInNetns(nsB, marked, a.address(8080)));

            assertThat(direct.remoteAddress()).isEqualTo(a.address(8080));
            direct.close().sync();
            await().atMost(WAIT)
                    .untilAsserted(() -> assertThat(app.clients())
                            .extracting(InetSocketAddress::getAddress)
                            .containsExactly(b.ip()));
            assertThat(seen).isNotDone();
        }

        @Test
        void aConnectionThatWasNotRedirectedHasNoOriginalDestination() throws Exception {
            CompletableFuture<InetSocketAddress> seen = new CompletableFuture<>();
            Channel listener = get(netty.bindInNetns(nsB, acceptingServer(seen), new InetSocketAddress(0)));
            int port = ((InetSocketAddress) listener.localAddress()).getPort();

            try (Socket direct = a.connect(b.address(port))) {
                assertThat(direct.isConnected()).isTrue();
                assertThatThrownBy(() -> get(seen))
                        .cause()
                        .isInstanceOf(ErrnoException.class)
                        .hasMessageContaining("getsockopt")
                        .hasMessageContaining("SO_ORIGINAL_DST")
                        .hasMessageContaining("No such file or directory");
            }
        }

        private ServerBootstrap acceptingServer(CompletableFuture<InetSocketAddress> originalDestination) {
            return new ServerBootstrap()
                    .group(group)
                    .channel(EpollServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<EpollSocketChannel>() {
                        @Override
                        protected void initChannel(EpollSocketChannel ch) {
                            try {
                                originalDestination.complete(SocketOptions.originalDestination(ch));
                            } catch (IOException | RuntimeException e) {
                                originalDestination.completeExceptionally(e);
                            }
                            ch.close();
                        }
                    });
        }

        private Bootstrap plainClient() {
            return new Bootstrap().group(group).handler(NO_OP);
        }
    }

    private static <T> T get(CompletableFuture<T> future) throws Exception {
        return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }
}
