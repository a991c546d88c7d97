package io.ambientjava.hbone.testsupport;

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
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/** An HBONE server and client on loopback sharing one event loop group, with helpers to open tunnels. */
public final class HboneTestBed implements AutoCloseable {

    public final EventLoopGroup group;
    public final HboneServer server;
    public final HboneClient client;
    private final boolean tls;
    private final SslContext clientContext;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    private HboneTestBed(
            boolean tls,
            int threads,
            UnaryOperator<HboneServerConfig> serverConfig,
            HboneClientConfig clientConfig,
            HboneConnector connector) {
        this.tls = tls;
        this.group = NettyTransport.newEventLoopGroup(threads, "hbone-test");
        ServerSecurity security;
        if (tls) {
            SslContext serverContext = TestPki.mesh().serverContext(TestPki.SERVER);
            security = ServerSecurity.mutualTls(() -> serverContext);
            clientContext = TestPki.mesh().clientContext(TestPki.CLIENT);
        } else {
            security = ServerSecurity.plaintext();
            clientContext = null;
        }
        this.server = HboneServer.bind(
                        group,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        serverConfig.apply(HboneServerConfig.defaults(security)),
                        connector)
                .join();
        this.client = new HboneClient(group, clientConfig);
    }

    public static HboneTestBed tls() {
        return new Builder(true).start();
    }

    public static HboneTestBed plaintext() {
        return new Builder(false).start();
    }

    public static Builder builder(boolean tls) {
        return new Builder(tls);
    }

    public ClientSecurity clientSecurity() {
        return tls ? ClientSecurity.mutualTls(TestPki.CLIENT, () -> clientContext) : ClientSecurity.plaintext();
    }

    public InetSocketAddress serverAddress() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port());
    }

    /** A CONNECT to {@code target} through this bed's server, expecting the server's identity. */
    public ConnectRequest request(InetSocketAddress target) {
        return ConnectRequest.of(
                clientSecurity(), tls ? Set.of(TestPki.SERVER) : Set.of(), serverAddress(), HboneAuthority.of(target));
    }

    /** A local listener whose connections are tunnelled to {@code target}, with {@code forwarded} set. */
    public OutboundListener outbound(InetSocketAddress target) {
        var listener = new OutboundListener(
                group, client, ch -> request(target).withForwardedFor((InetSocketAddress) ch.remoteAddress()));
        closeables.add(listener);
        return listener;
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            c.close();
        }
        client.close();
        server.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    public static final class Builder {
        private final boolean tls;
        private int threads = 2;
        private UnaryOperator<HboneServerConfig> serverConfig = UnaryOperator.identity();
        private HboneClientConfig clientConfig = HboneClientConfig.defaults();
        private HboneConnector connector = new DirectConnector();

        private Builder(boolean tls) {
            this.tls = tls;
        }

        public Builder threads(int value) {
            threads = value;
            return this;
        }

        public Builder serverConfig(UnaryOperator<HboneServerConfig> value) {
            serverConfig = value;
            return this;
        }

        public Builder clientConfig(HboneClientConfig value) {
            clientConfig = value;
            return this;
        }

        public Builder connector(HboneConnector value) {
            connector = value;
            return this;
        }

        public HboneTestBed start() {
            return new HboneTestBed(tls, threads, serverConfig, clientConfig, connector);
        }
    }
}
