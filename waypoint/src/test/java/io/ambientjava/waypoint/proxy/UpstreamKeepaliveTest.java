package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.UpstreamConnectionOptions;
import io.envoyproxy.envoy.config.core.v3.TcpKeepalive;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A cluster's TCP keepalive on the waypoint's upstream sockets, as the kernel reports them ({@code ss -o}). */
class UpstreamKeepaliveTest {

    private final TestBed bed = new TestBed();
    private final TestUpstream a = bed.upstream("a");

    @AfterEach
    void close() {
        bed.close();
    }

    private void cluster(Cluster.Builder cluster) {
        bed.configure(List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build()));
        bed.cluster(cluster.build(), a);
    }

    /** The {@code timer:(...)} of the established sockets towards the upstream, one line each. */
    private String upstreamSocketTimers() throws Exception {
        Process ss = new ProcessBuilder(
                        "ss",
                        "-tnoH",
                        "state",
                        "established",
                        "dst",
                        "127.0.0.1:" + a.address().getPort())
                .redirectErrorStream(true)
                .start();
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ss.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("ss sees the waypoint's upstream connection").isNotBlank();
        return out;
    }

    @Test
    void theClustersKeepaliveIdleTimeIsOnTheUpstreamSocket() throws Exception {
        cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER)
                .setUpstreamConnectionOptions(UpstreamConnectionOptions.newBuilder()
                        .setTcpKeepalive(TcpKeepalive.newBuilder()
                                .setKeepaliveTime(Envoy.u32(600))
                                .setKeepaliveInterval(Envoy.u32(30))
                                .setKeepaliveProbes(Envoy.u32(4)))));
        assertThat(bed.get("/").statusCode()).isEqualTo(200);
        String timers = upstreamSocketTimers();
        Matcher keepalive = Pattern.compile("timer:\\(keepalive,(\\d+)min").matcher(timers);
        assertThat(keepalive.find()).as("a keepalive timer in %s", timers).isTrue();
        assertThat(Integer.parseInt(keepalive.group(1)))
                .as("about 10 minutes left of 600 s")
                .isBetween(9, 10);
    }

    @Test
    void withoutKeepaliveTheSocketHasNoKeepaliveTimer() throws Exception {
        cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER));
        assertThat(bed.get("/").statusCode()).isEqualTo(200);
        assertThat(upstreamSocketTimers()).doesNotContain("keepalive");
    }

    @Test
    void aKeepaliveSettingTheKernelCannotTakeIsRefusedByField() {
        Cluster bad = Envoy.edsCluster(TestBed.DEFAULT_CLUSTER)
                .setUpstreamConnectionOptions(UpstreamConnectionOptions.newBuilder()
                        .setTcpKeepalive(TcpKeepalive.newBuilder().setKeepaliveTime(Envoy.u32(100_000))))
                .build();
        assertThatThrownBy(() -> io.ambientjava.waypoint.config.ClusterTranslator.translate(bad))
                .hasMessageContaining("upstream_connection_options.tcp_keepalive.keepalive_time");
    }
}
