package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.ambientjava.waypoint.telemetry.IstioTcpMetrics;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The TCP proxy's idle timeout and maximum connection duration, over real sockets through the waypoint. */
class TcpTimeoutsTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final TestBed bed = new TestBed(ProxyLimits.defaults(), new IstioTcpMetrics(registry));

    @AfterEach
    void close() {
        bed.close();
    }

    private void tcpListenerTo(InetSocketAddress endpoint, UnaryOperator<TcpProxy.Builder> settings) throws Exception {
        Listener plain = Envoy.tcpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST);
        TcpProxy proxy = plain.getFilterChains(0).getFilters(0).getTypedConfig().unpack(TcpProxy.class);
        Listener.Builder listener = plain.toBuilder();
        listener.getFilterChainsBuilder(0)
                .getFiltersBuilder(0)
                .setTypedConfig(Any.pack(settings.apply(proxy.toBuilder()).build()));
        bed.push(listener.build());
        bed.push(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build());
        bed.push(Envoy.plainEndpoints(TestBed.DEFAULT_CLUSTER, List.of(endpoint)));
    }

    private static com.google.protobuf.Duration millis(long ms) {
        return com.google.protobuf.Duration.newBuilder()
                .setSeconds(ms / 1000)
                .setNanos((int) (ms % 1000) * 1_000_000)
                .build();
    }

    /** The endpoint echoes every byte until its peer goes away; completes with the time it saw the end. */
    private static CompletableFuture<Long> echoOnce(ServerSocket server) {
        CompletableFuture<Long> endedAt = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (Socket s = server.accept()) {
                s.setSoTimeout(10_000);
                InputStream in = s.getInputStream();
                int b;
                while ((b = in.read()) != -1) {
                    s.getOutputStream().write(b);
                }
                endedAt.complete(System.nanoTime());
            } catch (Exception e) {
                endedAt.completeExceptionally(e);
            }
        });
        return endedAt;
    }

    @Test
    void anIdleConnectionIsClosedOnBothSidesAfterTheIdleTimeout() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Long> endpointSawEnd = echoOnce(server);
            tcpListenerTo((InetSocketAddress) server.getLocalSocketAddress(), p -> p.setIdleTimeout(millis(400)));
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), bed.listener.port())) {
                client.setSoTimeout(5000);
                client.getOutputStream().write('a');
                assertThat(client.getInputStream().read()).isEqualTo('a');
                long lastByte = System.nanoTime();
                assertThat(client.getInputStream().read()).isEqualTo(-1); // closed by the waypoint, not by us
                long closedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastByte);
                assertThat(closedAfterMs).isBetween(300L, 4000L);
            }
            endpointSawEnd.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void bytesEitherWayKeepTheConnectionOpenPastTheIdleTimeout() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            echoOnce(server);
            tcpListenerTo((InetSocketAddress) server.getLocalSocketAddress(), p -> p.setIdleTimeout(millis(500)));
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), bed.listener.port())) {
                client.setSoTimeout(5000);
                // 12 round trips 150 ms apart: 1.8 s in all, more than three idle timeouts
                for (int i = 0; i < 12; i++) {
                    client.getOutputStream().write('0' + i % 10);
                    assertThat(client.getInputStream().read()).isEqualTo('0' + i % 10);
                    Thread.sleep(150);
                }
                client.setSoTimeout(200);
                try {
                    int read = client.getInputStream().read();
                    assertThat(read)
                            .as("the connection is still open: nothing to read, no end")
                            .isNotEqualTo(-1);
                } catch (SocketTimeoutException expected) {
                    // open and quiet
                }
            }
        }
    }

    @Test
    void theMaximumDurationClosesABusyConnection() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Long> endpointSawEnd = echoOnce(server);
            tcpListenerTo(
                    (InetSocketAddress) server.getLocalSocketAddress(),
                    p -> p.setIdleTimeout(millis(0)).setMaxDownstreamConnectionDuration(millis(600)));
            long start = System.nanoTime();
            boolean ended = false;
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), bed.listener.port())) {
                client.setSoTimeout(5000);
                for (int i = 0; i < 100 && !ended; i++) { // at most 100 × 50 ms
                    try {
                        client.getOutputStream().write('x');
                        ended = client.getInputStream().read() == -1;
                    } catch (java.io.IOException reset) {
                        ended = true;
                    }
                    if (!ended) {
                        Thread.sleep(50);
                    }
                }
            }
            long endedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(ended).as("the waypoint ended the connection").isTrue();
            assertThat(endedAfterMs).isBetween(500L, 4000L);
            endpointSawEnd.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void anIdleTimeoutOfZeroKeepsAQuietConnection() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            echoOnce(server);
            tcpListenerTo((InetSocketAddress) server.getLocalSocketAddress(), p -> p.setIdleTimeout(millis(0)));
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), bed.listener.port())) {
                client.setSoTimeout(1500);
                client.getOutputStream().write('q');
                assertThat(client.getInputStream().read()).isEqualTo('q');
                try {
                    assertThat(client.getInputStream().read()).isNotEqualTo(-1);
                } catch (SocketTimeoutException expected) {
                    // still open after 1.5 s of silence
                }
                client.getOutputStream().write('r');
                assertThat(client.getInputStream().read()).isEqualTo('r');
            }
        }
    }
}
