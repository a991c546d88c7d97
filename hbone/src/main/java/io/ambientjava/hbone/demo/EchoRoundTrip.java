package io.ambientjava.hbone.demo;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.authority.HboneAuthority;
import io.ambientjava.hbone.client.ClientSecurity;
import io.ambientjava.hbone.client.ConnectRequest;
import io.ambientjava.hbone.client.HboneClient;
import io.ambientjava.hbone.client.HboneClientConfig;
import io.ambientjava.hbone.server.DirectConnector;
import io.ambientjava.hbone.server.HboneConnector;
import io.ambientjava.hbone.server.HboneServer;
import io.ambientjava.hbone.server.HboneServerConfig;
import io.ambientjava.hbone.server.ServerSecurity;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.tls.MeshTls;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The project's first runnable job: one HBONE round trip on loopback, showing each hop.
 *
 * <pre>
 * app socket ──TCP──▶ outbound listener ══ HBONE: mTLS (TLS 1.3, ALPN h2), HTTP/2 CONNECT ══▶ HBONE server ──TCP──▶ echo
 * </pre>
 *
 * A mesh CA issues two SPIFFE identities; the client side tunnels as the first and insists on the second as its
 * peer; the server side sees the client's identity and the {@code forwarded} header. Exits non-zero if the bytes
 * that come back differ from those sent.
 */
public final class EchoRoundTrip {

    private static final SpiffeId CLIENT = new SpiffeId("cluster.local", "demo", "client");
    private static final SpiffeId SERVER = new SpiffeId("cluster.local", "demo", "server");

    private final PrintStream out;

    EchoRoundTrip(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        // Before any logger exists: the demo jar's own quiet logging setup, not a library default.
        System.setProperty("logback.configurationFile", "hbone-demo-logback.xml");
        int messages = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        boolean identical = new EchoRoundTrip(System.out).run(messages, 64 * 1024);
        System.exit(identical ? 0 : 1);
    }

    /** Runs the round trip; true when every message came back byte for byte. */
    boolean run(int messages, int messageBytes) throws Exception {
        MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned("cluster.local");
        WorkloadCertificate clientCert = ca.issue(CLIENT);
        WorkloadCertificate serverCert = ca.issue(SERVER);
        out.printf("mesh CA      trust domain %s, root %s%n", ca.trustDomain(), subjectOf(ca));
        out.printf(
                "identities   client %s (serial %s)%n",
                CLIENT, clientCert.leaf().getSerialNumber().toString(16));
        out.printf(
                "             server %s (serial %s)%n",
                SERVER, serverCert.leaf().getSerialNumber().toString(16));

        EventLoopGroup group = NettyTransport.newEventLoopGroup(2, "hbone-demo");
        try (EchoServer echo = EchoServer.start(group)) {
            SslContext serverTls = MeshTls.serverContext(serverCert, ca.trustBundle());
            SslContext clientTls = MeshTls.clientContext(clientCert, ca.trustBundle());
            HboneConnector direct = new DirectConnector();
            HboneConnector announcing = request -> {
                out.printf(
                        "server       CONNECT %s from peer %s, forwarded: %s%n",
                        request.authority(),
                        request.connection()
                                .peerIdentity()
                                .map(SpiffeId::toString)
                                .orElse("(none)"),
                        request.forwarded().orElse("(none)"));
                return direct.connect(request);
            };
            HboneServer server = HboneServer.bind(
                            group,
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                            HboneServerConfig.defaults(ServerSecurity.mutualTls(() -> serverTls)),
                            announcing)
                    .get(10, TimeUnit.SECONDS);
            HboneClient client = new HboneClient(group, HboneClientConfig.defaults());
            try (server;
                    client;
                    OutboundListener outbound = OutboundListener.start(
                            group,
                            client,
                            channel -> ConnectRequest.of(
                                            ClientSecurity.mutualTls(CLIENT, () -> clientTls),
                                            Set.of(SERVER),
                                            new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()),
                                            HboneAuthority.parse(hostPort(echo.address())))
                                    .withForwardedFor((InetSocketAddress) channel.remoteAddress()))) {
                out.printf("echo server  %s (plain TCP)%n", hostPort(echo.address()));
                out.printf("HBONE server 127.0.0.1:%d (mTLS, ALPN h2, HTTP/2 CONNECT)%n", server.port());
                out.printf("outbound     %s (plain TCP in, HBONE out)%n", hostPort(outbound.address()));
                return sendAndCompare(outbound.address(), messages, messageBytes, client);
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private boolean sendAndCompare(InetSocketAddress outbound, int messages, int messageBytes, HboneClient client)
            throws IOException, NoSuchAlgorithmException {
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        byte[] message = new byte[messageBytes];
        byte[] echoed = new byte[messageBytes];
        try (Socket socket = new Socket(outbound.getAddress(), outbound.getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream toTunnel = socket.getOutputStream();
            DataInputStream fromTunnel = new DataInputStream(socket.getInputStream());
            for (int i = 1; i <= messages; i++) {
                ThreadLocalRandom.current().nextBytes(message);
                long start = System.nanoTime();
                toTunnel.write(message);
                fromTunnel.readFully(echoed);
                double micros = (System.nanoTime() - start) / 1_000.0;
                sent.update(message);
                received.update(echoed);
                out.printf(
                        "round trip   #%d: %d bytes through the tunnel and back in %.0f µs%n", i, messageBytes, micros);
            }
            socket.shutdownOutput();
            if (fromTunnel.read() != -1) {
                out.println("FAILED       the tunnel sent bytes after the echo ended");
                return false;
            }
        }
        client.connections()
                .forEach(connection -> out.printf(
                        "pool         1 HTTP/2 connection to %s, %d of %d streams in use%n",
                        hostPort(connection.key().peer()), connection.streams(), connection.maxStreams()));
        String sentHash = HexFormat.of().formatHex(sent.digest());
        String receivedHash = HexFormat.of().formatHex(received.digest());
        boolean identical = sentHash.equals(receivedHash);
        out.printf("sha-256      sent %s%n             back %s%n", sentHash, receivedHash);
        out.println(identical ? "OK           every byte came back intact" : "FAILED       the bytes differ");
        return identical;
    }

    private static String subjectOf(MeshCertificateAuthority ca) {
        return ca.trustBundle().roots().getFirst().getSubjectX500Principal().getName();
    }

    private static String hostPort(InetSocketAddress address) {
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }
}
