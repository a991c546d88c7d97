package io.ambientjava.waypoint.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.dns.Dnsmasq;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The whole process in-process: local CA, an ADS server feeding an ingress config, a request through it. */
class WaypointMainTest {

    @TempDir
    Path tmp;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void ingressGatewayServesRoutesFromAds() throws Exception {
        MeshCertificateAuthority.createSelfSigned("cluster.local").writeTo(tmp.resolve("ca"));
        int ingressPort = freePort();
        try (TestBed helper = new TestBed()) {
            var upstream = helper.upstream("app");
            String route = "http." + ingressPort;
            List<Message> resources = List.of(
                    Envoy.edsCluster("outbound|80||app.default.svc.cluster.local")
                            .build(),
                    Envoy.plainEndpoints("outbound|80||app.default.svc.cluster.local", List.of(upstream.address())),
                    ingressListener(ingressPort, route),
                    Envoy.routes(
                            route,
                            List.of(Envoy.prefixRoute("/", "outbound|80||app.default.svc.cluster.local")
                                    .build())));
            Server ads = ads(resources);
            int metrics = freePort();
            int ready = freePort();
            WaypointMain main = new WaypointMain();
            new CommandLine(main)
                    .parseArgs(
                            "--xds-address",
                            "127.0.0.1:" + ads.getPort(),
                            "--ca-dir",
                            tmp.resolve("ca").toString(),
                            "--ingress",
                            "--gateway",
                            "istio-system/ingress",
                            "--hbone-address",
                            "127.0.0.1:0",
                            "--metrics-port",
                            Integer.toString(metrics),
                            "--readiness-port",
                            Integer.toString(ready),
                            "--admin-port",
                            Integer.toString(freePort()),
                            "--pod-name",
                            "ingress-0");
            var failure = new java.util.concurrent.atomic.AtomicReference<Throwable>();
            Thread run = Thread.ofVirtual().start(() -> {
                try {
                    main.call();
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            try {
                boolean up = main.started.await(30, TimeUnit.SECONDS);
                assertThat(up).as("started; failure: %s", failure.get()).isTrue();
                HttpClient http = HttpClient.newHttpClient();
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> http.send(
                                                HttpRequest.newBuilder(URI.create(
                                                                "http://127.0.0.1:" + ready + "/healthz/ready"))
                                                        .build(),
                                                HttpResponse.BodyHandlers.ofString())
                                        .statusCode()
                                == 200);
                await().atMost(Duration.ofSeconds(10))
                        .ignoreExceptions()
                        .until(() -> http.send(
                                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ingressPort + "/hello"))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .body()
                                .equals("app GET /hello\n"));
                String scrape = http.send(
                                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metrics + "/stats/prometheus"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
                assertThat(scrape).contains("istio_requests_total{").contains("reporter=\"waypoint\"");
            } finally {
                main.stop.countDown();
                run.join(10_000);
                ads.shutdownNow();
            }
        }
        assertThat(Files.exists(tmp.resolve("ca/ca-cert.pem"))).isTrue();
    }

    /** {@code --dns-upstream}: a STRICT_DNS cluster from ADS, its name answered by that DNS server. */
    @Test
    @RequiresCommand("dnsmasq")
    void dnsClustersAreResolvedWithTheDnsUpstreamGiven() throws Exception {
        MeshCertificateAuthority.createSelfSigned("cluster.local").writeTo(tmp.resolve("ca"));
        int ingressPort = freePort();
        try (Dnsmasq dns =
                        Dnsmasq.startOnLoopback(new Dnsmasq.Zone("external.test").a("api.external.test", "127.0.0.1"));
                TestBed helper = new TestBed()) {
            var upstream = helper.upstream("external");
            String cluster = "outbound|80||api.external.test";
            String route = "http." + ingressPort;
            Server ads = ads(List.of(
                    Envoy.dnsCluster(
                                    cluster,
                                    io.envoyproxy.envoy.config.cluster.v3.Cluster.DiscoveryType.STRICT_DNS,
                                    "api.external.test:" + upstream.address().getPort())
                            .setDnsRefreshRate(Envoy.millis(200))
                            .build(),
                    ingressListener(ingressPort, route),
                    Envoy.routes(route, List.of(Envoy.prefixRoute("/", cluster).build()))));
            WaypointMain main = new WaypointMain();
            new CommandLine(main)
                    .parseArgs(
                            "--xds-address",
                            "127.0.0.1:" + ads.getPort(),
                            "--ca-dir",
                            tmp.resolve("ca").toString(),
                            "--ingress",
                            "--gateway",
                            "istio-system/ingress",
                            "--hbone-address",
                            "127.0.0.1:0",
                            "--metrics-port",
                            Integer.toString(freePort()),
                            "--readiness-port",
                            Integer.toString(freePort()),
                            "--admin-port",
                            Integer.toString(freePort()),
                            "--pod-name",
                            "ingress-0",
                            "--dns-upstream",
                            dns.address().getAddress().getHostAddress() + ":"
                                    + dns.address().getPort());
            var failure = new java.util.concurrent.atomic.AtomicReference<Throwable>();
            Thread run = Thread.ofVirtual().start(() -> {
                try {
                    main.call();
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            try {
                assertThat(main.started.await(30, TimeUnit.SECONDS))
                        .as("started; failure: %s", failure.get())
                        .isTrue();
                HttpClient http = HttpClient.newHttpClient();
                await().atMost(Duration.ofSeconds(10))
                        .ignoreExceptions()
                        .until(() -> http.send(
                                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ingressPort + "/out"))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .body()
                                .equals("external GET /out\n"));
            } finally {
                main.stop.countDown();
                run.join(10_000);
                ads.shutdownNow();
            }
            assertThat(run.isAlive()).as("stopped").isFalse();
        }
    }

    /** An ingress listener on {@code 0.0.0.0:port} whose routes are the RouteConfiguration {@code route}. */
    private static Listener ingressListener(int port, String route) throws Exception {
        var listener = Envoy.httpListener("0.0.0.0", port, "ignored").toBuilder()
                .setName("0.0.0.0_" + port)
                .build();
        var hcm = listener.getFilterChains(0)
                .getFilters(0)
                .getTypedConfig()
                .unpack(
                        io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                                .class);
        hcm = hcm.toBuilder()
                .setRds(hcm.getRds().toBuilder().setRouteConfigName(route))
                .build();
        return listener.toBuilder()
                .setFilterChains(
                        0,
                        listener.getFilterChains(0).toBuilder()
                                .setFilters(
                                        0,
                                        listener.getFilterChains(0).getFilters(0).toBuilder()
                                                .setTypedConfig(Any.pack(hcm))))
                .build();
    }

    /** A Delta ADS server on loopback answering every subscription with {@code resources} of its type. */
    private static Server ads(List<Message> resources) throws Exception {
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase() {
                    @Override
                    public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
                            StreamObserver<DeltaDiscoveryResponse> out) {
                        return new StreamObserver<>() {
                            @Override
                            public void onNext(DeltaDiscoveryRequest request) {
                                if (!request.getResponseNonce().isEmpty()) {
                                    return; // an ACK
                                }
                                var response = DeltaDiscoveryResponse.newBuilder()
                                        .setTypeUrl(request.getTypeUrl())
                                        .setNonce(request.getTypeUrl());
                                for (Message m : resources) {
                                    Any any = Any.pack(m);
                                    if (any.getTypeUrl().equals(request.getTypeUrl())) {
                                        response.addResources(Resource.newBuilder()
                                                .setName(nameOf(m))
                                                .setVersion("1")
                                                .setResource(any));
                                    }
                                }
                                synchronized (out) {
                                    out.onNext(response.build());
                                }
                            }

                            @Override
                            public void onError(Throwable t) {}

                            @Override
                            public void onCompleted() {}
                        };
                    }
                })
                .build()
                .start();
    }

    private static String nameOf(Message m) {
        return switch (m) {
            case io.envoyproxy.envoy.config.listener.v3.Listener l -> l.getName();
            case io.envoyproxy.envoy.config.route.v3.RouteConfiguration r -> r.getName();
            case io.envoyproxy.envoy.config.cluster.v3.Cluster c -> c.getName();
            case io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment e -> e.getClusterName();
            default -> throw new IllegalArgumentException();
        };
    }
}
