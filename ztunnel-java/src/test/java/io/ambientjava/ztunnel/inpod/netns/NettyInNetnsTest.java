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
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@RequiresRoot
@RequiresCommand("ip")
class NettyInNetnsTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final ChannelInitializer<Channel> NO_OP = new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel ch) {}
    };

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.withNodes(2);

    private final String token = UUID.randomUUID().toString();
    private NetnsExecutor executor;
    private NettyInNetns netty;
    private EventLoopGroup group;

    @BeforeEach
    void setUp() throws Exception {
        executor = net.onTeardown(new NetnsExecutor("netty-test"));
        netty = new NettyInNetns(executor);
        group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        net.onTeardown(() -> group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly());
    }

    @AfterEach
    void noThreadStayedInAPod() throws Exception {
        assertThat(ThreadNamespaces.threadsOutside(executor.home())).isEmpty();
    }

    @Test
    void aServerBoundInsidePodAIsReachableAtItsPodAddressAndNotOnTheHost() throws Exception {
        Pod a = net.addPod("a");
        Pod b = net.addPod("b");
        NetworkNamespace nsA = namespace(a);

        Channel server = get(netty.bindInNetns(nsA, greetingServer(), new InetSocketAddress(0)));
        int port = ((InetSocketAddress) server.localAddress()).getPort();

        try (Socket fromB = b.connect(a.address(port))) {
            assertThat(readAll(fromB)).isEqualTo(token);
        }
        assertThat(greetingOnHostLoopback(port)).isNotEqualTo(token);
    }

    @Test
    void theSameBootstrapBoundWithoutTheExecutorListensOnTheHost() throws Exception {
        Channel server = greetingServer()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .sync()
                .channel();
        net.onTeardown(() -> server.close().sync());

        assertThat(greetingOnHostLoopback(((InetSocketAddress) server.localAddress()).getPort()))
                .isEqualTo(token);
    }

    @Test
    void eventLoopsStartedByABindStayInTheHostNamespace() throws Exception {
        Pod a = net.addPod("a");
        EventLoopGroup fresh = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        net.onTeardown(() -> fresh.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly());
        ServerBootstrap bootstrap = greetingServer(fresh);

        get(netty.bindInNetns(namespace(a), bootstrap, new InetSocketAddress(0)));

        for (EventExecutor loop : fresh) {
            assertThat(loop.submit(NetworkNamespace::currentThreadId).get(5, TimeUnit.SECONDS))
                    .isEqualTo(executor.home());
        }
    }

    @Test
    void aClientCreatedInsidePodBConnectsWithBsAddress() throws Exception {
        Pod a = net.addPod("a");
        Pod b = net.addPod("b");
        EchoServer app = a.startEchoServer(0);
        Bootstrap client = client().channelFactory(netty.channelFactory(namespace(b), EpollSocketChannel::new, WAIT));

        Channel fromCaller = client.connect(a.address(app.port())).sync().channel();
        Channel fromEventLoop = group.next()
                .submit(() -> client.connect(a.address(app.port())))
                .get(5, TimeUnit.SECONDS)
                .sync()
                .channel();
        Channel viaFuture = get(
                netty.connectInNetns(namespace(b), client().channel(EpollSocketChannel.class), a.address(app.port())));

        for (Channel channel : new Channel[] {fromCaller, fromEventLoop, viaFuture}) {
            assertThat(((InetSocketAddress) channel.localAddress()).getAddress())
                    .isEqualTo(b.ip());
            channel.close().sync();
        }
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(app.clients())
                        .extracting(InetSocketAddress::getAddress)
                        .containsExactly(b.ip(), b.ip(), b.ip()));
    }

    @Test
    void podsOnTwoNodesConnectThroughTheirNodesRoutes() throws Exception {
        Pod a = net.node(1).addPod("a");
        Pod c = net.node(2).addPod("c");
        Channel server = get(netty.bindInNetns(namespace(c), greetingServer(), new InetSocketAddress(0)));
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        CompletableFuture<String> received = new CompletableFuture<>();
        Bootstrap client = client().channel(EpollSocketChannel.class).handler(new ChannelInboundHandlerAdapter() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                io.netty.buffer.ByteBuf buf = (io.netty.buffer.ByteBuf) msg;
                text.append(buf.toString(StandardCharsets.UTF_8));
                buf.release();
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                received.complete(text.toString());
            }
        });

        Channel channel = get(netty.connectInNetns(namespace(a), client, c.address(port)));

        assertThat(((InetSocketAddress) channel.localAddress()).getAddress()).isEqualTo(a.ip());
        assertThat(get(received)).isEqualTo(token);
    }

    @Test
    void aBindErrorFailsTheFuture() throws Exception {
        Pod a = net.addPod("a");
        NetworkNamespace nsA = namespace(a);
        Channel first = get(netty.bindInNetns(nsA, greetingServer(), new InetSocketAddress(0)));
        int port = ((InetSocketAddress) first.localAddress()).getPort();

        assertThatThrownBy(() -> get(netty.bindInNetns(nsA, greetingServer(), new InetSocketAddress(port))))
                .cause()
                .hasMessageContaining("Address already in use");
    }

    @Test
    void theChannelFactoryReportsANamespaceItCannotEnter() throws Exception {
        NetworkNamespace closed = namespace(net.addPod("a"));
        closed.close();
        Bootstrap client = client().channelFactory(netty.channelFactory(closed, EpollSocketChannel::new, WAIT));

        assertThatThrownBy(() ->
                        client.connect(new InetSocketAddress("198.18.1.9", 9)).sync())
                .hasMessageContaining("cannot create a channel inside")
                .hasMessageContaining("is closed");
    }

    private ServerBootstrap greetingServer() {
        return greetingServer(group);
    }

    private ServerBootstrap greetingServer(EventLoopGroup loops) {
        return new ServerBootstrap()
                .group(loops)
                .channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.writeAndFlush(Unpooled.copiedBuffer(token, StandardCharsets.UTF_8))
                                .addListener(ChannelFutureListener.CLOSE);
                    }
                });
    }

    /** A client bootstrap without a channel type or factory yet. */
    private Bootstrap client() {
        return new Bootstrap().group(group).handler(NO_OP);
    }

    private NetworkNamespace namespace(Pod pod) throws IOException {
        NetworkNamespace namespace = NetworkNamespace.open(pod.netnsPath());
        return net.onTeardown(namespace);
    }

    /** What a server on the host's loopback at {@code port} says, or a note that nothing answered. */
    private static String greetingOnHostLoopback(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
            socket.setSoTimeout(1_000);
            return readAll(socket);
        } catch (ConnectException refused) {
            return "<refused>";
        } catch (java.net.SocketTimeoutException silent) {
            return "<no answer>";
        }
    }

    private static String readAll(Socket socket) throws IOException {
        socket.setSoTimeout(5_000);
        InputStream in = socket.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    private static <T> T get(CompletableFuture<T> future) throws Exception {
        return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }
}
