package io.ambientjava.waypoint.testsupport;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.client.ClientSecurity;
import io.ambientjava.hbone.client.HboneClient;
import io.ambientjava.hbone.client.HboneClientConfig;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.waypoint.proxy.DownstreamContext;
import io.ambientjava.waypoint.proxy.DownstreamListener;
import io.ambientjava.waypoint.proxy.ProxyLimits;
import io.ambientjava.waypoint.proxy.ProxyRuntime;
import io.ambientjava.waypoint.telemetry.RequestObserver;
import io.ambientjava.waypoint.telemetry.RequestRecord;
import io.ambientjava.waypoint.telemetry.TcpObserver;
import io.ambientjava.waypoint.upstream.ClusterManager;
import io.ambientjava.waypoint.upstream.DnsClusters;
import io.ambientjava.waypoint.upstream.Transport;
import io.ambientjava.waypoint.xds.ConfigAssembler;
import io.ambientjava.waypoint.xds.TypeUrls;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A waypoint data path on loopback for tests: a plain listener standing for the service VIP
 * {@value #VIP}:{@value #PORT} (host {@value #HOST}), config pushed as Envoy resources, and request records kept.
 */
public final class TestBed implements AutoCloseable {

    public static final String VIP = "198.19.0.10";
    public static final int PORT = 80;
    public static final String HOST = "reviews.default.svc.cluster.local";
    public static final String DEFAULT_CLUSTER = "outbound|80||" + HOST;

    public final EventLoopGroup group = NettyTransport.newEventLoopGroup(2, "test-waypoint");
    public final List<RequestRecord> records = new CopyOnWriteArrayList<>();
    public final ProxyRuntime runtime;
    public final HboneClient hbone;
    public final DnsClusters dns;
    private final ConfigAssembler assembler = new ConfigAssembler();
    public final DownstreamListener listener;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    public final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    public TestBed() {
        this(RequestObserver.NONE);
    }

    public TestBed(RequestObserver extra) {
        this(extra, ClientSecurity.plaintext(), Transport.HBONE_PORT);
    }

    public TestBed(RequestObserver extra, ClientSecurity security, int hbonePort) {
        this(extra, security, hbonePort, ProxyLimits.defaults(), TcpObserver.NONE);
    }

    /** With other limits (timeouts) and an observer of TCP-proxied connections. */
    public TestBed(ProxyLimits limits, TcpObserver tcp) {
        this(RequestObserver.NONE, ClientSecurity.plaintext(), Transport.HBONE_PORT, limits, tcp);
    }

    /** Whose STRICT_DNS and LOGICAL_DNS clusters are resolved with {@code dns} (closed with the bed). */
    public static TestBed resolvingWith(DnsClusters dns) {
        return new TestBed(
                RequestObserver.NONE,
                ClientSecurity.plaintext(),
                Transport.HBONE_PORT,
                ProxyLimits.defaults(),
                TcpObserver.NONE,
                dns);
    }

    private TestBed(
            RequestObserver extra, ClientSecurity security, int hbonePort, ProxyLimits limits, TcpObserver tcp) {
        this(extra, security, hbonePort, limits, tcp, DnsClusters.withoutUpstreams());
    }

    private TestBed(
            RequestObserver extra,
            ClientSecurity security,
            int hbonePort,
            ProxyLimits limits,
            TcpObserver tcp,
            DnsClusters dns) {
        hbone = new HboneClient(group, HboneClientConfig.defaults());
        this.dns = dns;
        RequestObserver keep = records::add;
        runtime = new ProxyRuntime(
                new ClusterManager(new Transport(hbone, security, hbonePort)), keep.and(extra), limits, tcp, dns);
        listener = DownstreamListener.plain(
                        group, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), runtime, VIP, PORT)
                .join();
    }

    /**
     * Another loopback listener whose connections are for {@code vip:port}, as if tunnelled from {@code peer} (none:
     * plain), with the client's own address as the source; closed with the bed.
     */
    public DownstreamListener listen(String vip, int port, Optional<SpiffeId> peer) {
        DownstreamListener bound = DownstreamListener.bind(
                        group,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        runtime,
                        ch -> new DownstreamContext(
                                vip, port, peer, Optional.of((InetSocketAddress) ch.remoteAddress()), Optional.empty()))
                .join();
        closeables.add(bound);
        return bound;
    }

    public TestUpstream upstream(String name) {
        TestUpstream upstream = new TestUpstream(group, name);
        closeables.add(upstream);
        return upstream;
    }

    /** An upstream listening on {@code address} (another loopback address, a given port). */
    public TestUpstream upstream(String name, InetSocketAddress address) {
        TestUpstream upstream = TestUpstream.on(group, name, address);
        closeables.add(upstream);
        return upstream;
    }

    /** Applies resources of one type as one ADS response would. */
    public void push(Message... resources) {
        if (resources.length == 0) {
            return;
        }
        String type = switch (resources[0]) {
            case Listener l -> TypeUrls.LISTENER;
            case RouteConfiguration r -> TypeUrls.ROUTE;
            case Cluster c -> TypeUrls.CLUSTER;
            case ClusterLoadAssignment e -> TypeUrls.ENDPOINT;
            default ->
                throw new IllegalArgumentException(resources[0].getClass().getName());
        };
        List<ConfigAssembler.Update> updates = new ArrayList<>();
        for (Message m : resources) {
            String name = switch (m) {
                case Listener l -> l.getName();
                case RouteConfiguration r -> r.getName();
                case Cluster c -> c.getName();
                case ClusterLoadAssignment e -> e.getClusterName();
                default -> throw new IllegalArgumentException();
            };
            updates.add(new ConfigAssembler.Update(name, "1", Any.pack(m)));
        }
        runtime.apply(assembler.apply(type, updates, List.of()));
    }

    /** Removes resources of one type as an ADS response's removed_resources would. */
    public void remove(String typeUrl, String... names) {
        runtime.apply(assembler.apply(typeUrl, List.of(), List.of(names)));
    }

    /** The usual set: the HTTP listener, these routes, and one cluster per (name → upstreams). */
    public void configure(List<io.envoyproxy.envoy.config.route.v3.Route> routes) {
        push(Envoy.httpListener(VIP, PORT, HOST));
        push(Envoy.routes(HOST + ":" + PORT, routes));
    }

    public void cluster(Cluster cluster, TestUpstream... upstreams) {
        push(cluster);
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (TestUpstream u : upstreams) {
            addresses.add(u.address());
        }
        push(Envoy.plainEndpoints(cluster.getName(), addresses));
    }

    public String url(String path) {
        return "http://127.0.0.1:" + listener.port() + path;
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(url(path)))
                .timeout(Duration.ofSeconds(20))
                .build());
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        listener.close();
        dns.close();
        hbone.close();
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
