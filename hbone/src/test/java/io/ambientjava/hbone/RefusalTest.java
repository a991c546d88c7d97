package io.ambientjava.hbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.hbone.testsupport.BlockingTcpServer;
import io.ambientjava.hbone.testsupport.CapturedLogs;
import io.ambientjava.hbone.testsupport.HboneTestBed;
import io.ambientjava.hbone.testsupport.RawH2Client;
import io.ambientjava.hbone.testsupport.TestPki;
import io.ambientjava.identity.tls.MeshTls;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the server refuses, that it says why (response and log), and that a refusal never disturbs other
 * streams on the same connection or other connections.
 */
@Timeout(30)
class RefusalTest {

    private static HboneTestBed bed;
    private static BlockingTcpServer target;
    private static RawH2Client good;
    private static RawH2Client.RawStream liveTunnel;

    @BeforeAll
    static void openALiveTunnel() throws Exception {
        bed = HboneTestBed.tls();
        target = BlockingTcpServer.echo();
        good = RawH2Client.connect(
                bed.group, bed.serverAddress(), TestPki.mesh().clientContext(TestPki.CLIENT));
        good.handshake.get(10, TimeUnit.SECONDS);
        liveTunnel = good.open(connect(authorityOf(target.address())), false);
        assertThat(liveTunnel.awaitHeaders().status()).hasToString("200");
        assertTunnelAlive();
    }

    @AfterAll
    static void close() throws Exception {
        good.close();
        target.close();
        bed.close();
    }

    @Test
    void nonConnectMethodGets400WithReason() throws Exception {
        var headers = new DefaultHttp2Headers()
                .method("GET")
                .scheme("https")
                .path("/")
                .authority("127.0.0.1:80");
        Http2Headers response = good.open(headers, true).awaitHeaders();
        assertThat(response.status()).hasToString("400");
        assertThat(response.get("hbone-error")).hasToString("method GET is not allowed; HBONE accepts only CONNECT");
        assertLogged("refused with 400: method GET is not allowed");
        assertTunnelAlive();
    }

    @Test
    void connectWithoutAuthorityIsRefused() throws Exception {
        RawH2Client.RawStream stream = good.open(new DefaultHttp2Headers().method("CONNECT"), false);
        RawH2Client.Event first = stream.next();
        // Either our 400, or HTTP/2 itself resets the malformed request; the connection lives on either way.
        if (first instanceof RawH2Client.Headers h) {
            assertThat(h.headers().status()).hasToString("400");
            assertThat(h.headers().get("hbone-error")).hasToString("CONNECT without :authority");
            assertLogged("refused with 400: CONNECT without :authority");
        } else {
            assertThat(first).isEqualTo(new RawH2Client.Reset(Http2Error.PROTOCOL_ERROR.code()));
        }
        assertTunnelAlive();
    }

    @Test
    void unparsableAuthoritiesGet400WithReason() throws Exception {
        for (String authority : List.of("example.com:80", "127.0.0.1", "[::1:80", "127.0.0.1:99999", "1.2.3:80")) {
            RawH2Client.RawStream stream = good.open(connect(authority), false);
            Http2Headers response = stream.awaitHeaders();
            assertThat(response.status()).as(authority).hasToString("400");
            assertThat(response.get("hbone-error")).as(authority).asString().contains("'" + authority + "'");
            // The client had not finished sending: the server stops it politely after the answer.
            assertThat(stream.next()).isIn(new RawH2Client.Reset(Http2Error.NO_ERROR.code()), new RawH2Client.Closed());
            assertLogged("to " + authority + " refused with 400");
        }
        assertTunnelAlive();
    }

    @Test
    void garbageBytesAreRefusedAndLogged() throws Exception {
        try (var socket = new Socket()) {
            socket.connect(bed.serverAddress());
            OutputStream out = socket.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            socket.setSoTimeout(10_000);
            assertThat(socket.getInputStream().read()).isEqualTo(-1); // closed on us
            assertLogged(localOf(socket) + " refused: TLS handshake failed: not a TLS connection");
        }
        assertTunnelAlive();
        assertNewConnectionsWork();
    }

    @Test
    void plaintextHttp2ClientIsRefused() throws Exception {
        try (var plaintext = RawH2Client.connect(bed.group, bed.serverAddress(), null)) {
            plaintext.channel().closeFuture().await(10, TimeUnit.SECONDS);
            assertThat(plaintext.channel().isActive()).isFalse();
            assertLogged(plaintext.channel().localAddress() + " refused: TLS handshake failed: not a TLS connection");
        }
        assertTunnelAlive();
        assertNewConnectionsWork();
    }

    @Test
    void tlsClientWithoutCertificateIsRefused() throws Exception {
        var noCert = SslContextBuilder.forClient()
                .sslProvider(SslProvider.OPENSSL)
                .protocols(MeshTls.TLS_V1_3)
                .trustManager(TestPki.mesh().ca().trustBundle().roots())
                .endpointIdentificationAlgorithm(null) // mesh peers have no host names
                .applicationProtocolConfig(new ApplicationProtocolConfig(
                        ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        MeshTls.ALPN_H2))
                .build();
        try (var client = RawH2Client.connect(bed.group, bed.serverAddress(), noCert)) {
            // With TLS 1.3 the client may finish its side first; the server then rejects and closes.
            assertThat(client.channel().closeFuture().await(10, TimeUnit.SECONDS))
                    .isTrue();
            assertLogged(client.channel().localAddress() + " refused: TLS handshake failed");
            assertLogged("PEER_DID_NOT_RETURN_A_CERTIFICATE");
        }
        assertTunnelAlive();
        assertNewConnectionsWork();
    }

    @Test
    void certificateFromAnotherCaIsRefused() throws Exception {
        // Trusts the mesh (so it accepts the server) but presents a certificate the mesh CA never issued.
        var foreign = MeshTls.clientContext(
                TestPki.foreign().issue(TestPki.CLIENT), TestPki.mesh().ca().trustBundle());
        try (var client = RawH2Client.connect(bed.group, bed.serverAddress(), foreign)) {
            assertThat(client.channel().closeFuture().await(10, TimeUnit.SECONDS))
                    .isTrue();
            assertLogged(client.channel().localAddress() + " refused: TLS handshake failed");
            assertLogged("Signature does not match");
        }
        assertTunnelAlive();
        assertNewConnectionsWork();
    }

    private static Http2Headers connect(String authority) {
        return new DefaultHttp2Headers().method("CONNECT").authority(authority);
    }

    private static String authorityOf(InetSocketAddress address) {
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    private static String localOf(Socket socket) {
        return socket.getLocalSocketAddress().toString();
    }

    /** The tunnel opened first, on the shared connection, still echoes. */
    private static void assertTunnelAlive() throws InterruptedException {
        String text = "alive-" + System.nanoTime();
        liveTunnel.send(text, false);
        assertThat(liveTunnel.awaitText(text.length())).isEqualTo(text);
        assertThat(good.channel().isActive()).isTrue();
    }

    private static void assertNewConnectionsWork() throws Exception {
        try (var fresh = RawH2Client.connect(
                bed.group, bed.serverAddress(), TestPki.mesh().clientContext(TestPki.CLIENT))) {
            fresh.handshake.get(10, TimeUnit.SECONDS);
            var stream = fresh.open(connect(authorityOf(target.address())), false);
            assertThat(stream.awaitHeaders().status()).hasToString("200");
            stream.send("x", true);
            assertThat(stream.awaitText(1)).isEqualTo("x");
        }
    }

    private static void assertLogged(String fragment) {
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(CapturedLogs.messages("io.ambientjava.hbone.server"))
                        .anySatisfy(m -> assertThat(m).contains(fragment)));
    }
}
