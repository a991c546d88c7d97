package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.waypoint.telemetry.IstioTcpMetrics;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** TCP through the waypoint (TCP listeners, and non-HTTP bytes on an HTTP port): half-close and Istio's metrics. */
class TcpPassthroughTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final TestBed bed = new TestBed(ProxyLimits.defaults(), new IstioTcpMetrics(registry));

    @AfterEach
    void close() {
        bed.close();
    }

    private void tcpListenerTo(InetSocketAddress endpoint) {
        bed.push(Envoy.tcpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST));
        bed.push(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build());
        bed.push(Envoy.plainEndpoints(TestBed.DEFAULT_CLUSTER, List.of(endpoint)));
    }

    private static String readToEnd(InputStream in) throws Exception {
        return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }

    @Test
    void clientHalfCloseReachesTheServerWhichStillAnswersThenCloses() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> serverGot = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(5000);
                    String got = readToEnd(s.getInputStream()); // ends only with the client's FIN
                    s.getOutputStream().write(("after your FIN: " + got).getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    serverGot.complete(got);
                } catch (Exception e) {
                    serverGot.completeExceptionally(e);
                }
            });
            tcpListenerTo((InetSocketAddress) server.getLocalSocketAddress());
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), bed.listener.port())) {
                client.setSoTimeout(5000);
                client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                client.shutdownOutput();
                assertThat(readToEnd(client.getInputStream())).isEqualTo("after your FIN: hello");
            }
            assertThat(serverGot.get(5, TimeUnit.SECONDS)).isEqualTo("hello");
        }
        String closed = "istio_tcp_connections_closed_total";
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(metric(closed)).isEqualTo(1.0));
        assertThat(metric("istio_tcp_connections_opened_total")).isEqualTo(1.0);
        assertThat(metric("istio_tcp_received_bytes_total")).isEqualTo(5.0);
        assertThat(metric("istio_tcp_sent_bytes_total")).isEqualTo("after your FIN: hello".length());
        String scrape = registry.scrape();
        assertThat(scrape)
                .contains("reporter=\"waypoint\"")
                .contains("request_protocol=\"tcp\"")
                .contains("destination_service=\"" + TestBed.HOST + "\"")
                .contains("destination_service_name=\"reviews\"")
                .contains("destination_workload=\"pod-")
                .contains("connection_security_policy=\"none\"");
    }

    @Test
    void serverHalfCloseReachesTheClientWhichStillSends() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> serverGot = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(5000);
                    s.getOutputStream().write("banner".getBytes(StandardCharsets.US_ASCII));
                    s.shutdownOutput();
                    serverGot.complete(readToEnd(s.getInputStream()));
                } catch (Exception e) {
                    serverGot.completeExceptionally(e);
                }
            });
            tcpListenerTo((InetSocketAddress) server.getLocalSocketAddress());
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), bed.listener.port())) {
                client.setSoTimeout(5000);
                assertThat(readToEnd(client.getInputStream())).isEqualTo("banner"); // the server's FIN arrived
                client.getOutputStream().write("still talking".getBytes(StandardCharsets.US_ASCII));
                client.shutdownOutput();
                assertThat(serverGot.get(5, TimeUnit.SECONDS)).isEqualTo("still talking");
                assertThat(client.getInputStream().read()).isEqualTo(-1);
            }
        }
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() ->
                        assertThat(metric("istio_tcp_connections_closed_total")).isEqualTo(1.0));
    }

    @Test
    void nonHttpBytesOnAnHttpPortKeepHalfCloseToo() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(5000);
                    byte[] got = s.getInputStream().readAllBytes();
                    s.getOutputStream().write(("got " + got.length + " bytes").getBytes(StandardCharsets.US_ASCII));
                } catch (Exception ignored) {
                    // the client's assertion fails instead
                }
            });
            bed.configure(
                    List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build()));
            bed.push(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build());
            bed.push(Envoy.plainEndpoints(
                    TestBed.DEFAULT_CLUSTER, List.of((InetSocketAddress) server.getLocalSocketAddress())));
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), bed.listener.port())) {
                client.setSoTimeout(5000);
                client.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3});
                client.shutdownOutput();
                assertThat(readToEnd(client.getInputStream())).isEqualTo("got 8 bytes");
            }
        }
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() ->
                        assertThat(metric("istio_tcp_received_bytes_total")).isEqualTo(8.0));
    }

    @Test
    void noEndpointClosesTheConnectionAndIsCountedWithFlagUh() throws Exception {
        bed.push(Envoy.tcpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST));
        bed.push(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build());
        bed.push(Envoy.plainEndpoints(TestBed.DEFAULT_CLUSTER, List.of()));
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), bed.listener.port())) {
            client.setSoTimeout(5000);
            assertThat(client.getInputStream().read()).isEqualTo(-1);
        }
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(registry.scrape()).contains("response_flags=\"UH\""));
    }

    @Test
    void halfCloseCrossesAnHboneUpstreamBothWays() throws Exception {
        var group = io.ambientjava.hbone.NettyTransport.newEventLoopGroup(1, "dest-ztunnel");
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            var destinationZtunnel = io.ambientjava.hbone.server.HboneServer.bind(
                            group,
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                            io.ambientjava.hbone.server.HboneServerConfig.defaults(
                                    io.ambientjava.hbone.server.ServerSecurity.plaintext()),
                            new io.ambientjava.hbone.server.DirectConnector())
                    .join();
            try (TestBed hboneBed = new TestBed(
                    io.ambientjava.waypoint.telemetry.RequestObserver.NONE,
                    io.ambientjava.hbone.client.ClientSecurity.plaintext(),
                    destinationZtunnel.port())) {
                CompletableFuture<String> serverGot = new CompletableFuture<>();
                Thread.ofVirtual().start(() -> {
                    try (Socket s = server.accept()) {
                        s.setSoTimeout(5000);
                        String got = readToEnd(s.getInputStream());
                        s.getOutputStream().write(("after your FIN: " + got).getBytes(StandardCharsets.US_ASCII));
                        s.getOutputStream().flush();
                        serverGot.complete(got);
                    } catch (Exception e) {
                        serverGot.completeExceptionally(e);
                    }
                });
                hboneBed.push(Envoy.tcpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST));
                hboneBed.push(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build());
                hboneBed.push(Envoy.hboneEndpoints(
                        TestBed.DEFAULT_CLUSTER,
                        (InetSocketAddress) server.getLocalSocketAddress(),
                        "spiffe://cluster.local/ns/default/sa/reviews"));
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), hboneBed.listener.port())) {
                    client.setSoTimeout(5000);
                    client.getOutputStream().write("over hbone".getBytes(StandardCharsets.US_ASCII));
                    client.shutdownOutput();
                    assertThat(readToEnd(client.getInputStream())).isEqualTo("after your FIN: over hbone");
                }
                assertThat(serverGot.get(5, TimeUnit.SECONDS)).isEqualTo("over hbone");
            } finally {
                destinationZtunnel.close();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** The sum of a Prometheus counter over its label sets. */
    private double metric(String name) {
        double sum = 0;
        for (String line : registry.scrape().lines().toList()) {
            if (line.startsWith(name + "{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    @Test
    void weightedClustersSplitConnectionsByWeight() throws Exception {
        try (ServerSocket v1 = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
                ServerSocket v2 = new ServerSocket(0, 100, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> answerWithName(v1, "v1"));
            Thread.ofVirtual().start(() -> answerWithName(v2, "v2"));
            String c1 = "outbound|9000|v1|" + TestBed.HOST;
            String c2 = "outbound|9000|v2|" + TestBed.HOST;
            var weights = new java.util.LinkedHashMap<String, Integer>();
            weights.put(c1, 80);
            weights.put(c2, 20);
            bed.push(Envoy.weightedTcpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST, weights));
            bed.push(Envoy.edsCluster(c1).build(), Envoy.edsCluster(c2).build());
            bed.push(
                    Envoy.plainEndpoints(c1, List.of((InetSocketAddress) v1.getLocalSocketAddress())),
                    Envoy.plainEndpoints(c2, List.of((InetSocketAddress) v2.getLocalSocketAddress())));
            var seen = new java.util.HashMap<String, Integer>();
            for (int i = 0; i < 200; i++) {
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), bed.listener.port())) {
                    client.setSoTimeout(5000);
                    seen.merge(readToEnd(client.getInputStream()), 1, Integer::sum);
                }
            }
            assertThat(seen).containsOnlyKeys("v1", "v2");
            assertThat(seen.get("v1")).as("80 %% of 200, seen %s", seen).isBetween(135, 185);
        }
    }

    private static void answerWithName(ServerSocket server, String name) {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                s.getOutputStream().write(name.getBytes(StandardCharsets.US_ASCII));
            } catch (Exception e) {
                return;
            }
        }
    }
}
