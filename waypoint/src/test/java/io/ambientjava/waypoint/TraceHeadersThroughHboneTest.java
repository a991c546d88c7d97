package io.ambientjava.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.hbone.client.ClientSecurity;
import io.ambientjava.hbone.server.DirectConnector;
import io.ambientjava.hbone.server.HboneServer;
import io.ambientjava.hbone.server.HboneServerConfig;
import io.ambientjava.hbone.server.ServerSecurity;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.tls.MeshTls;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.waypoint.proxy.ProxyLimits;
import io.ambientjava.waypoint.telemetry.AccessLogWriter;
import io.ambientjava.waypoint.telemetry.IstioRequestMetrics;
import io.ambientjava.waypoint.telemetry.RequestObserver;
import io.ambientjava.waypoint.telemetry.WaypointTelemetry;
import io.ambientjava.waypoint.testsupport.ClientZtunnel;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.LocalCommands;
import io.ambientjava.waypoint.testsupport.TelemetryConfigs;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.ambientjava.waypoint.tracing.WaypointTracing;
import io.ambientjava.waypoint.xds.ConfigAssembler;
import io.ambientjava.waypoint.xds.TypeUrls;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Trace context over the mesh's L4 legs: ztunnel carries HTTP inside HBONE CONNECT tunnels as opaque bytes, so
 * {@code traceparent}, {@code tracestate}, B3 and {@code baggage} reach the app exactly as sent — directly from the
 * client's ztunnel to the destination's, and through the waypoint when it does not trace. When the waypoint
 * traces, the same trace goes on with the waypoint's span as parent, in the same formats.
 */
@RequiresCommand({"curl"})
class TraceHeadersThroughHboneTest {

    private static final SpiffeId CLIENT = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/productpage");
    private static final SpiffeId WAYPOINT = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/waypoint");
    private static final SpiffeId REVIEWS = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/reviews");
    private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final Map<String, String> SENT = Map.of(
            "traceparent", "00-" + TRACE + "-b7ad6b7169203331-01",
            "tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
            "x-b3-traceid", TRACE,
            "x-b3-spanid", "b7ad6b7169203331",
            "x-b3-sampled", "1",
            "baggage", "k8s.deployment.name=productpage,service.version=v1");

    private final MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned("cluster.local");
    private final WorkloadCertificate clientCert = ca.issue(CLIENT);
    private final WorkloadCertificate waypointCert = ca.issue(WAYPOINT);
    private final WorkloadCertificate reviewsCert = ca.issue(REVIEWS);
    private final EventLoopGroup group = NettyTransport.newEventLoopGroup(2, "trace-hbone");
    private final TestUpstream app = new TestUpstream(group, "reviews-v1");
    private final HboneServer destinationZtunnel = HboneServer.bind(
                    group,
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    HboneServerConfig.defaults(
                            ServerSecurity.mutualTls(() -> MeshTls.serverContext(reviewsCert, ca.trustBundle()))),
                    new DirectConnector())
            .join();
    private final WaypointTelemetry telemetry = new WaypointTelemetry(
            new IstioRequestMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)),
            new AccessLogWriter(),
            new WaypointTracing("waypoint.default", cluster -> Optional.empty(), Duration.ofMillis(100)),
            RequestObserver.NONE);
    private final WaypointServer waypoint = WaypointServer.start(
            new WaypointServer.Settings(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    destinationZtunnel.port(),
                    ServerSecurity.mutualTls(() -> MeshTls.serverContext(waypointCert, ca.trustBundle())),
                    ClientSecurity.mutualTls(WAYPOINT, () -> MeshTls.clientContext(waypointCert, ca.trustBundle())),
                    ProxyLimits.defaults(),
                    2,
                    false,
                    "127.0.0.1"),
            telemetry);
    private final ClientZtunnel clientZtunnel = new ClientZtunnel(
            group, ClientSecurity.mutualTls(CLIENT, () -> MeshTls.clientContext(clientCert, ca.trustBundle())));

    @AfterEach
    void close() {
        clientZtunnel.close();
        waypoint.close();
        telemetry.close();
        destinationZtunnel.close();
        app.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void configure(Listener listener) {
        var assembler = new ConfigAssembler();
        waypoint.apply(
                assembler.apply(TypeUrls.LISTENER, List.of(update(listener.getName(), Any.pack(listener))), List.of()));
        waypoint.apply(assembler.apply(
                TypeUrls.ROUTE,
                List.of(update(
                        TestBed.HOST + ":80",
                        Any.pack(Envoy.routes(
                                TestBed.HOST + ":80",
                                List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER)
                                        .build()))))),
                List.of()));
        waypoint.apply(assembler.apply(
                TypeUrls.CLUSTER,
                List.of(update(
                        TestBed.DEFAULT_CLUSTER,
                        Any.pack(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build()))),
                List.of()));
        waypoint.apply(assembler.apply(
                TypeUrls.ENDPOINT,
                List.of(update(
                        TestBed.DEFAULT_CLUSTER,
                        Any.pack(Envoy.hboneEndpoints(TestBed.DEFAULT_CLUSTER, app.address(), REVIEWS.toString())))),
                List.of()));
    }

    private static ConfigAssembler.Update update(String name, Any resource) {
        return new ConfigAssembler.Update(name, "1", resource);
    }

    private static String curl(int port, String path) throws Exception {
        List<String> headers = new ArrayList<>();
        SENT.forEach((k, v) -> headers.addAll(List.of("-H", k + ": " + v)));
        return LocalCommands.curlLoopback(port, path, headers.toArray(String[]::new));
    }

    @Test
    void ztunnelToZtunnelCarriesTraceHeadersUntouched() throws Exception {
        int port = clientZtunnel.outboundPort(REVIEWS, destinationZtunnel.port(), app.address());
        assertThat(curl(port, "/direct")).isEqualTo("reviews-v1 GET /direct\n");
        assertThat(app.seen.getLast().headers()).containsAllEntriesOf(SENT);
    }

    @Test
    void throughAWaypointThatDoesNotTraceHeadersArriveUntouched() throws Exception {
        configure(Envoy.httpListener(TestBed.VIP, 80, TestBed.HOST));
        int port = clientZtunnel.outboundPort(WAYPOINT, waypoint.hbonePort(), new InetSocketAddress(TestBed.VIP, 80));
        assertThat(curl(port, "/plain")).isEqualTo("reviews-v1 GET /plain\n");
        assertThat(app.seen.getLast().headers()).containsAllEntriesOf(SENT);
    }

    @Test
    void throughATracingWaypointTheTraceGoesOnInTheSameFormats() throws Exception {
        configure(TelemetryConfigs.withHcm(
                Envoy.httpListener(TestBed.VIP, 80, TestBed.HOST),
                hcm -> hcm.setTracing(TelemetryConfigs.zipkinTracing("nowhere", 100))));
        int port = clientZtunnel.outboundPort(WAYPOINT, waypoint.hbonePort(), new InetSocketAddress(TestBed.VIP, 80));
        assertThat(curl(port, "/traced")).isEqualTo("reviews-v1 GET /traced\n");
        Map<String, String> seen = app.seen.getLast().headers();
        assertThat(seen.get("traceparent")).matches("00-" + TRACE + "-[0-9a-f]{16}-01");
        assertThat(seen.get("traceparent")).isNotEqualTo(SENT.get("traceparent"));
        assertThat(seen.get("tracestate")).isEqualTo(SENT.get("tracestate"));
        assertThat(seen.get("x-b3-traceid")).isEqualTo(TRACE);
        assertThat(seen.get("x-b3-spanid")).isEqualTo(seen.get("traceparent").substring(36, 52));
        assertThat(seen.get("baggage")).isEqualTo(SENT.get("baggage"));
    }
}
