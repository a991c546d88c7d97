package io.ambientjava.identity.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.pem.Pem;
import io.ambientjava.testing.RequiresCommand;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real, independent TLS stack as the peer: {@code openssl s_client} against a Netty server built from
 * {@link MeshTls#serverContext}. The server greets each verified client with its SPIFFE ID and closes.
 */
@RequiresCommand({"openssl", "timeout"})
class OpensslClientInteropTest {

    private static final SpiffeId SERVER = SpiffeId.parse("spiffe://cluster.local/ns/payments/sa/server");
    private static final SpiffeId CLIENT = SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/client");
    private static final Pattern FIRST_CERTIFICATE =
            Pattern.compile("-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", Pattern.DOTALL);

    private static final MeshCertificateAuthority CA = MeshCertificateAuthority.createSelfSigned("cluster.local");
    private static final BlockingQueue<Object> SERVER_SAW = new LinkedBlockingQueue<>();
    private static EventLoopGroup group;
    private static Channel listener;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startServer() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        SslContext tls = MeshTls.serverContext(CA.issue(SERVER), CA.trustBundle());
        listener = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(tls.newHandler(channel.alloc()), new GreetVerifiedPeer());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .sync()
                .channel();
        Pem.writeFile(
                dir.resolve("root.pem"), Pem.writeCertificates(CA.trustBundle().roots()));
        writeKeyPair(CA.issue(CLIENT), "client");
        MeshCertificateAuthority stranger = MeshCertificateAuthority.createSelfSigned("cluster.local");
        writeKeyPair(stranger.issue(CLIENT), "stranger");
    }

    @AfterAll
    static void stopServer() {
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void clientWithAMeshCertificateCompletesTls13WithH2AndSeesTheServersSpiffeId() throws Exception {
        SERVER_SAW.clear();

        String output = sClient("client");

        assertThat(output).contains("New, TLSv1.3");
        assertThat(output).contains("ALPN protocol: h2");
        assertThat(output).contains("Verify return code: 0 (ok)");
        assertThat(output).contains("hello " + CLIENT);
        assertThat(SERVER_SAW.poll(5, TimeUnit.SECONDS)).isEqualTo(CLIENT);
        Matcher leaf = FIRST_CERTIFICATE.matcher(output);
        assertThat(leaf.find())
                .as("s_client -showcerts printed the server certificate")
                .isTrue();
        assertThat(run(List.of("openssl", "x509", "-noout", "-ext", "subjectAltName"), leaf.group()))
                .contains("URI:" + SERVER)
                .doesNotContain("DNS:");
    }

    @Test
    void clientWithoutACertificateIsRefused() throws Exception {
        SERVER_SAW.clear();

        String output = sClient(null);

        assertThat(output).doesNotContain("hello ");
        assertThat(output).containsIgnoringCase("alert");
        assertThat(SERVER_SAW.poll(5, TimeUnit.SECONDS)).isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void clientWithACertificateFromAnotherCaIsRefused() throws Exception {
        SERVER_SAW.clear();

        String output = sClient("stranger");

        assertThat(output).doesNotContain("hello ");
        assertThat(output).containsIgnoringCase("alert");
        assertThat(SERVER_SAW.poll(5, TimeUnit.SECONDS)).isInstanceOf(SSLHandshakeException.class);
    }

    private static String sClient(String keyPair) throws Exception {
        int port = ((InetSocketAddress) listener.localAddress()).getPort();
        List<String> command = new ArrayList<>(List.of(
                "timeout",
                "10",
                "openssl",
                "s_client",
                "-connect",
                "127.0.0.1:" + port,
                "-tls1_3",
                "-alpn",
                "h2",
                "-CAfile",
                dir.resolve("root.pem").toString(),
                "-verify_return_error",
                "-showcerts",
                "-ign_eof"));
        if (keyPair != null) {
            command.addAll(List.of(
                    "-cert", dir.resolve(keyPair + "-cert.pem").toString(),
                    "-key", dir.resolve(keyPair + "-key.pem").toString()));
        }
        return run(command, null);
    }

    /** Runs a command with {@code input} (or nothing) on stdin; never leaves the process behind. */
    private static String run(List<String> command, String input) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (input == null) {
            builder.redirectInput(new File("/dev/null"));
        }
        Process process = builder.start();
        try {
            if (input != null) {
                try (var stdin = process.getOutputStream()) {
                    stdin.write(input.getBytes(StandardCharsets.US_ASCII));
                }
            }
            var output = new java.util.concurrent.CompletableFuture<String>();
            Thread.ofVirtual().start(() -> {
                try {
                    output.complete(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    output.completeExceptionally(e);
                }
            });
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                throw new AssertionError("command did not finish: " + command);
            }
            return output.get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError("cannot read output of " + command, e);
        } finally {
            process.destroyForcibly();
        }
    }

    private static void writeKeyPair(WorkloadCertificate cert, String name) {
        Pem.writeFile(dir.resolve(name + "-cert.pem"), Pem.writeCertificates(cert.chain()));
        Pem.writeFile(dir.resolve(name + "-key.pem"), Pem.writePrivateKey(cert.privateKey()));
    }

    /** After a verified handshake: insist on h2, report the peer identity, greet it, close. */
    private static final class GreetVerifiedPeer extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof SslHandshakeCompletionEvent done) {
                if (!done.isSuccess()) {
                    SERVER_SAW.add(done.cause());
                    ctx.close();
                    return;
                }
                try {
                    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                    MeshTls.requireH2(ssl);
                    SpiffeId peer = PeerIdentity.of(ssl.engine().getSession());
                    SERVER_SAW.add(peer);
                    ctx.writeAndFlush(Unpooled.copiedBuffer("hello " + peer + "\n", StandardCharsets.US_ASCII))
                            .addListener(ChannelFutureListener.CLOSE);
                } catch (RuntimeException e) {
                    SERVER_SAW.add(e);
                    ctx.close();
                }
                return;
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
