package io.ambientjava.perf.tunnel;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.authority.HboneAuthority;
import io.ambientjava.hbone.client.ClientSecurity;
import io.ambientjava.hbone.client.ConnectRequest;
import io.ambientjava.hbone.client.HboneClient;
import io.ambientjava.hbone.client.HboneClientConfig;
import io.ambientjava.hbone.server.DirectConnector;
import io.ambientjava.hbone.server.HboneServer;
import io.ambientjava.hbone.server.HboneServerConfig;
import io.ambientjava.hbone.server.ServerSecurity;
import io.ambientjava.identity.tls.MeshTls;
import io.ambientjava.perf.net.EpollGroups;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * HBONE as ztunnel uses it: the entry accepts plain TCP and opens a CONNECT stream to the target's address for
 * each connection, over pooled mutual TLS HTTP/2 connections (the hbone module's client); the exit is the
 * hbone module's server, whose connector dials the CONNECT authority.
 */
public final class HboneTunnel implements Tunnel {

    private static final int MAX_REPORTED_FAILURES = 5;

    private final EventLoopGroup entryGroup;
    private final EventLoopGroup exitGroup;
    private final Channel entryListener;
    private final HboneClient client;
    private final HboneServer server;

    private HboneTunnel(
            EventLoopGroup entryGroup,
            EventLoopGroup exitGroup,
            Channel entryListener,
            HboneClient client,
            HboneServer server) {
        this.entryGroup = entryGroup;
        this.exitGroup = exitGroup;
        this.entryListener = entryListener;
        this.client = client;
        this.server = server;
    }

    static HboneTunnel start(InetSocketAddress target, BenchmarkMesh mesh, int threadsPerSide)
            throws InterruptedException {
        // The hbone module's groups: epoll with its fix for writes after a peer's FIN (half-closed tunnels).
        Epoll.ensureAvailability();
        EventLoopGroup entryGroup = NettyTransport.newEventLoopGroup(threadsPerSide, "hbone-entry");
        EventLoopGroup exitGroup = NettyTransport.newEventLoopGroup(threadsPerSide, "hbone-exit");
        HboneServer server = null;
        HboneClient client = null;
        try {
            SslContext serverTls = MeshTls.serverContext(mesh.exit(), mesh.ca().trustBundle());
            SslContext clientTls = MeshTls.clientContext(mesh.entry(), mesh.ca().trustBundle());
            server = HboneServer.bind(
                            exitGroup,
                            new InetSocketAddress("127.0.0.1", 0),
                            HboneServerConfig.defaults(ServerSecurity.mutualTls(() -> serverTls)),
                            new DirectConnector())
                    .get(10, TimeUnit.SECONDS);
            client = new HboneClient(entryGroup, HboneClientConfig.defaults());
            ConnectRequest request = ConnectRequest.of(
                    ClientSecurity.mutualTls(BenchmarkMesh.ENTRY_ID, () -> clientTls),
                    Set.of(BenchmarkMesh.EXIT_ID),
                    (InetSocketAddress) server.localAddress(),
                    HboneAuthority.of(target));
            Channel entry = listenForTunnels(entryGroup, client, request);
            return new HboneTunnel(entryGroup, exitGroup, entry, client, server);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            if (client != null) {
                client.close();
            }
            if (server != null) {
                server.close();
            }
            EpollGroups.shutdown(entryGroup);
            EpollGroups.shutdown(exitGroup);
            throw new IllegalStateException("cannot start the HBONE tunnel: " + e, e);
        }
    }

    private static Channel listenForTunnels(EventLoopGroup group, HboneClient client, ConnectRequest request)
            throws InterruptedException {
        AtomicLong failures = new AtomicLong();
        return new ServerBootstrap()
                .group(group)
                .channel(NettyTransport.serverChannelClass(group))
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // Nothing is read until the stream is open; half-close travels as END_STREAM.
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel downstream) {
                        ConnectRequest perConnection = request.withForwardedFor(downstream.remoteAddress());
                        client.tunnel(downstream, perConnection).whenComplete((tunnel, error) -> {
                            if (error != null && failures.incrementAndGet() <= MAX_REPORTED_FAILURES) {
                                System.err.println("tunnel: HBONE CONNECT failed: " + error);
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .sync()
                .channel();
    }

    @Override
    public InetSocketAddress entryAddress() {
        return (InetSocketAddress) entryListener.localAddress();
    }

    @Override
    public void close() {
        entryListener.close().awaitUninterruptibly();
        client.close();
        server.close();
        EpollGroups.shutdown(entryGroup);
        EpollGroups.shutdown(exitGroup);
    }
}
