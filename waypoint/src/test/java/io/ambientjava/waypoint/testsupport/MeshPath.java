package io.ambientjava.waypoint.testsupport;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.client.ClientSecurity;
import io.ambientjava.hbone.client.ConnectRequest;
import io.ambientjava.hbone.server.DirectConnector;
import io.ambientjava.hbone.server.HboneServer;
import io.ambientjava.hbone.server.HboneServerConfig;
import io.ambientjava.hbone.server.ServerSecurity;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.tls.MeshTls;
import io.ambientjava.waypoint.WaypointServer;
import io.ambientjava.waypoint.proxy.ProxyLimits;
import io.ambientjava.waypoint.telemetry.RequestRecord;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The mesh path of the HBONE tests, every hop mutual TLS with certificates of one mesh CA: a client's ztunnel → the
 * waypoint → a destination ztunnel that connects on loopback to whatever its CONNECT names. The waypoint's request
 * records are kept.
 */
public final class MeshPath implements AutoCloseable {

    public final MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned("cluster.local");
    public final EventLoopGroup group;
    public final List<RequestRecord> records = new CopyOnWriteArrayList<>();
    public final HboneServer destinationZtunnel;
    public final WaypointServer waypoint;
    public final ClientZtunnel clientZtunnel;
    private final SpiffeId waypointIdentity;

    public MeshPath(String name, SpiffeId client, SpiffeId waypointIdentity, SpiffeId destination) {
        this.waypointIdentity = waypointIdentity;
        WorkloadCertificate clientCert = ca.issue(client);
        WorkloadCertificate waypointCert = ca.issue(waypointIdentity);
        WorkloadCertificate destinationCert = ca.issue(destination);
        group = NettyTransport.newEventLoopGroup(2, name);
        destinationZtunnel = HboneServer.bind(
                        group,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        HboneServerConfig.defaults(ServerSecurity.mutualTls(
                                () -> MeshTls.serverContext(destinationCert, ca.trustBundle()))),
                        new DirectConnector())
                .join();
        waypoint = WaypointServer.start(
                new WaypointServer.Settings(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        destinationZtunnel.port(),
                        ServerSecurity.mutualTls(() -> MeshTls.serverContext(waypointCert, ca.trustBundle())),
                        ClientSecurity.mutualTls(
                                waypointIdentity, () -> MeshTls.clientContext(waypointCert, ca.trustBundle())),
                        ProxyLimits.defaults(),
                        2,
                        false,
                        "127.0.0.1"),
                records::add);
        clientZtunnel = new ClientZtunnel(
                group, ClientSecurity.mutualTls(client, () -> MeshTls.clientContext(clientCert, ca.trustBundle())));
    }

    /** The client's CONNECT to the waypoint for {@code target}. */
    public ConnectRequest connect(InetSocketAddress target) {
        return clientZtunnel.connect(waypointIdentity, waypoint.hbonePort(), target);
    }

    /** A loopback port whose connections the client's ztunnel tunnels to the waypoint for {@code target}. */
    public int outboundTo(InetSocketAddress target) {
        return clientZtunnel.outboundPort(waypointIdentity, waypoint.hbonePort(), target);
    }

    @Override
    public void close() {
        clientZtunnel.close();
        waypoint.close();
        destinationZtunnel.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
