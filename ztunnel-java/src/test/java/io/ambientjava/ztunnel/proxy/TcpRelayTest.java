package io.ambientjava.ztunnel.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.tunnel.TcpInputHold;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The relay between two TCP connections, on loopback: client -> Netty listener -> relay -> server. */
class TcpRelayTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final Duration WAIT = Duration.ofSeconds(5);

    private EventLoopGroup group;
    private ServerSocket server;
    private Channel listener;
    private final CompletableFuture<TcpRelay> relay = new CompletableFuture<>();
    private volatile long startDelayMillis;

    @BeforeEach
    void setUp() throws Exception {
        group = NettyTransport.newEventLoopGroup(1, "relay-test");
        server = new ServerSocket(0, 50, LOOPBACK);
        listener = new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<EpollSocketChannel>() {
                    @Override
                    protected void initChannel(EpollSocketChannel accepted) {
                        TcpInputHold.install(accepted);
                        accepted.eventLoop()
                                .schedule(() -> connectUpstream(accepted), startDelayMillis, TimeUnit.MILLISECONDS);
                    }
                })
                .bind(LOOPBACK, 0)
                .sync()
                .channel();
    }

    private void connectUpstream(Channel accepted) {
        new Bootstrap()
                .group(accepted.eventLoop())
                .channel(EpollSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        TcpInputHold.install(ch);
                    }
                })
                .connect(server.getLocalSocketAddress())
                .addListener(f -> {
                    if (f.isSuccess()) {
                        relay.complete(TcpRelay.start(accepted, ((io.netty.channel.ChannelFuture) f).channel()));
                    } else {
                        relay.completeExceptionally(f.cause());
                    }
                });
    }

    @AfterEach
    void tearDown() throws Exception {
        listener.close().sync();
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @Test
    void bytesFlowBothWaysAndEachSideFinishesOnItsOwn() throws Exception {
        try (Socket client = connect();
                Socket upstream = server.accept()) {
            client.getOutputStream().write(bytes("question"));
            client.shutdownOutput();
            assertThat(upstream.getInputStream().readAllBytes()).isEqualTo(bytes("question"));
            // The client's half is closed; the server can still answer.
            upstream.getOutputStream().write(bytes("a longer answer"));
            upstream.shutdownOutput();
            assertThat(client.getInputStream().readAllBytes()).isEqualTo(bytes("a longer answer"));
        }

        RelayResult result = relay.get().completion().get(5, TimeUnit.SECONDS);
        assertThat(result).isEqualTo(new RelayResult(8, 15, java.util.Optional.empty()));
    }

    @Test
    void dataAndFinSentBeforeTheRelayStartsAreDelivered() throws Exception {
        startDelayMillis = 200;
        try (Socket client = connect()) {
            client.getOutputStream().write(bytes("early"));
            client.shutdownOutput();
            try (Socket upstream = server.accept()) {
                assertThat(upstream.getInputStream().readAllBytes()).isEqualTo(bytes("early"));
                upstream.shutdownOutput();
                assertThat(client.getInputStream().read()).isEqualTo(-1);
            }
        }
        assertThat(relay.get().completion().get(5, TimeUnit.SECONDS).clientToServer())
                .isEqualTo(5);
    }

    @Test
    void anAbortResetsBothSides() throws Exception {
        try (Socket client = connect();
                Socket upstream = server.accept()) {
            client.getOutputStream().write(bytes("x"));
            assertThat(upstream.getInputStream().read()).isEqualTo('x');

            relay.get().abort("pod removed");

            assertReset(client);
            assertReset(upstream);
        }
        assertThat(relay.get().completion().get(5, TimeUnit.SECONDS).error()).contains("pod removed");
    }

    @Test
    void aServerResetReachesTheClient() throws Exception {
        try (Socket client = connect()) {
            Socket upstream = server.accept();
            relay.get(5, TimeUnit.SECONDS);
            upstream.setSoLinger(true, 0);
            upstream.close();

            assertReset(client);
        }
        assertThat(relay.get().completion().get(5, TimeUnit.SECONDS).error()).isPresent();
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(listener.localAddress(), (int) WAIT.toMillis());
        socket.setSoTimeout((int) WAIT.toMillis());
        return socket;
    }

    private static void assertReset(Socket socket) throws IOException {
        socket.setSoTimeout((int) WAIT.toMillis());
        assertThatThrownBy(() -> {
                    // A reset may surface on the first read or, after buffered data, on a later one.
                    while (socket.getInputStream().read() >= 0) {}
                    throw new AssertionError("clean EOF instead of a reset");
                })
                .isInstanceOf(SocketException.class)
                .hasMessageContaining("reset");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
