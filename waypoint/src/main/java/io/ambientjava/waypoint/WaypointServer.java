package io.ambientjava.waypoint;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.client.ClientSecurity;
import io.ambientjava.hbone.client.HboneClient;
import io.ambientjava.hbone.client.HboneClientConfig;
import io.ambientjava.hbone.server.HboneServer;
import io.ambientjava.hbone.server.HboneServerConfig;
import io.ambientjava.hbone.server.ServerSecurity;
import io.ambientjava.waypoint.config.ListenerConfig;
import io.ambientjava.waypoint.config.WaypointConfig;
import io.ambientjava.waypoint.proxy.DownstreamListener;
import io.ambientjava.waypoint.proxy.InboundConnector;
import io.ambientjava.waypoint.proxy.ProxyLimits;
import io.ambientjava.waypoint.proxy.ProxyRuntime;
import io.ambientjava.waypoint.telemetry.RequestObserver;
import io.ambientjava.waypoint.telemetry.TcpObserver;
import io.ambientjava.waypoint.upstream.ClusterManager;
import io.ambientjava.waypoint.upstream.DnsClusters;
import io.ambientjava.waypoint.upstream.Transport;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The waypoint's data path: HBONE in (mTLS, CONNECT to a service VIP), the L7 proxy, HBONE or TCP out. In ingress
 * mode it also opens a plain listener for every wildcard ({@code 0.0.0.0}) listener in its config.
 */
public final class WaypointServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WaypointServer.class);

    /**
     * @param hboneAddress where HBONE is accepted (port 15008), or null for none (a pure ingress gateway)
     * @param upstreamHbonePort the HBONE port of the endpoints' ztunnels (15008)
     * @param ingress bind plain listeners for wildcard listeners of the config
     * @param ingressBindAddress the local address those plain listeners bind to (0.0.0.0 normally)
     * @param dnsUpstreams the DNS servers that resolve STRICT_DNS and LOGICAL_DNS clusters' names, in order; empty:
     *     those names never resolve
     */
    public record Settings(
            InetSocketAddress hboneAddress,
            int upstreamHbonePort,
            ServerSecurity serverSecurity,
            ClientSecurity clientSecurity,
            ProxyLimits limits,
            int threads,
            boolean ingress,
            String ingressBindAddress,
            List<InetSocketAddress> dnsUpstreams) {
        public Settings {
            Objects.requireNonNull(serverSecurity, "serverSecurity");
            Objects.requireNonNull(clientSecurity, "clientSecurity");
            Objects.requireNonNull(limits, "limits");
            Objects.requireNonNull(ingressBindAddress, "ingressBindAddress");
            dnsUpstreams = List.copyOf(dnsUpstreams);
        }

        /** Without a DNS server for DNS clusters. */
        public Settings(
                InetSocketAddress hboneAddress,
                int upstreamHbonePort,
                ServerSecurity serverSecurity,
                ClientSecurity clientSecurity,
                ProxyLimits limits,
                int threads,
                boolean ingress,
                String ingressBindAddress) {
            this(
                    hboneAddress,
                    upstreamHbonePort,
                    serverSecurity,
                    clientSecurity,
                    limits,
                    threads,
                    ingress,
                    ingressBindAddress,
                    List.of());
        }
    }

    private final Settings settings;
    private final EventLoopGroup group;
    private final HboneClient hboneClient;
    private final DnsClusters dns;
    private final ProxyRuntime runtime;
    private final InboundConnector connector;
    private final HboneServer hboneServer;
    private final Map<Integer, DownstreamListener> ingressListeners = new HashMap<>();

    private WaypointServer(Settings settings, RequestObserver observer, TcpObserver tcpObserver) {
        this.settings = settings;
        this.group = NettyTransport.newEventLoopGroup(settings.threads(), "waypoint");
        this.hboneClient = new HboneClient(group, HboneClientConfig.defaults());
        this.dns = new DnsClusters(settings.dnsUpstreams());
        this.runtime = new ProxyRuntime(
                new ClusterManager(new Transport(hboneClient, settings.clientSecurity(), settings.upstreamHbonePort())),
                observer,
                settings.limits(),
                tcpObserver,
                dns);
        this.connector = new InboundConnector(runtime);
        this.hboneServer = settings.hboneAddress() == null
                ? null
                : HboneServer.bind(
                                group,
                                settings.hboneAddress(),
                                HboneServerConfig.defaults(settings.serverSecurity()),
                                connector)
                        .join();
    }

    public static WaypointServer start(Settings settings, RequestObserver observer) {
        return new WaypointServer(settings, observer, TcpObserver.NONE);
    }

    /** With Istio's TCP metrics (or another observer) for TCP-proxied connections. */
    public static WaypointServer start(Settings settings, RequestObserver observer, TcpObserver tcpObserver) {
        return new WaypointServer(settings, observer, tcpObserver);
    }

    /** Installs a new config snapshot (called by the ADS client); requests in flight finish on the old one. */
    public synchronized void apply(WaypointConfig config) {
        runtime.apply(config);
        if (settings.ingress()) {
            syncIngressListeners(config);
        }
    }

    private void syncIngressListeners(WaypointConfig config) {
        Map<Integer, ListenerConfig> wanted = new HashMap<>();
        for (ListenerConfig l : config.listeners().values()) {
            boolean wildcard = l.address().equals("0.0.0.0") || l.address().equals("::");
            if (wildcard && !(l.kind() instanceof ListenerConfig.Workloads)) {
                wanted.put(l.port(), l);
            }
        }
        ingressListeners.entrySet().removeIf(e -> {
            if (!wanted.containsKey(e.getKey())) {
                e.getValue().close();
                return true;
            }
            return false;
        });
        for (ListenerConfig l : wanted.values()) {
            if (ingressListeners.containsKey(l.port())) {
                continue;
            }
            try {
                var bound = DownstreamListener.plain(
                                group,
                                new InetSocketAddress(settings.ingressBindAddress(), l.port()),
                                runtime,
                                l.address(),
                                l.port())
                        .join();
                ingressListeners.put(l.port(), bound);
                log.info("ingress listener {} on {}", l.name(), bound.localAddress());
            } catch (RuntimeException e) {
                log.error("cannot open ingress listener {}: {}", l.name(), e.getMessage());
            }
        }
    }

    public ProxyRuntime runtime() {
        return runtime;
    }

    public EventLoopGroup group() {
        return group;
    }

    /** The bound HBONE port (for servers bound to port 0). */
    public int hbonePort() {
        return hboneServer == null ? -1 : hboneServer.port();
    }

    public synchronized Map<Integer, InetSocketAddress> ingressAddresses() {
        Map<Integer, InetSocketAddress> out = new HashMap<>();
        ingressListeners.forEach((port, l) -> out.put(port, l.localAddress()));
        return out;
    }

    @Override
    public void close() {
        if (hboneServer != null) {
            hboneServer
                    .drain(Duration.ofSeconds(1))
                    .orTimeout(3, TimeUnit.SECONDS)
                    .exceptionally(e -> null)
                    .join();
        }
        synchronized (this) {
            ingressListeners.values().forEach(DownstreamListener::close);
            ingressListeners.clear();
        }
        dns.close();
        hboneClient.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
