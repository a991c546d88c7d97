package io.ambientjava.meshctl.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the demo reads ztunnel's access log and metrics, and what its app answers. */
class DemoOutputTest {
    private static final String LINE =
            "2026-11-25T18:00:00Z ERROR access connection complete start=2026-11-25T18:00:00Z"
                    + " src.addr=198.18.1.2:53718 src.identity=\"spiffe://cluster.local/ns/shop/sa/cart\""
                    + " dst.addr=198.18.2.2:8080 direction=\"inbound\" bytes_sent=0 bytes_recv=0 duration=\"1ms\""
                    + " error=\"allow policies exist but none matched\"";

    @Test
    void accessLogFieldsQuotedOrNot() {
        assertThat(DemoCommand.field(LINE, "src.addr")).isEqualTo("198.18.1.2:53718");
        assertThat(DemoCommand.field(LINE, "src.identity")).isEqualTo("spiffe://cluster.local/ns/shop/sa/cart");
        assertThat(DemoCommand.field(LINE, "error")).isEqualTo("allow policies exist but none matched");
        assertThat(DemoCommand.field(LINE, "dst.identity")).isEqualTo("?");
    }

    @Test
    void identitiesComeFromDestinationReportsOnly() {
        String metrics = """
                # TYPE istio_tcp_connections_opened_total counter
                istio_tcp_connections_opened_total{reporter="destination",source_principal="spiffe://cluster.local/ns/shop/sa/frontend",destination_principal="spiffe://cluster.local/ns/shop/sa/cart",connection_security_policy="mutual_tls"} 2.0
                istio_tcp_connections_opened_total{reporter="source",source_principal="spiffe://cluster.local/ns/shop/sa/frontend",destination_principal="spiffe://cluster.local/ns/shop/sa/cart",connection_security_policy="mutual_tls"} 2.0
                istio_tcp_sent_bytes_total{reporter="destination"} 10.0
                istio_tcp_sent_bytes_total{reporter="source"} 32.0
                """;

        assertThat(DemoCommand.identities(Map.of("node-a", metrics)))
                .containsExactly("spiffe://cluster.local/ns/shop/sa/frontend -> spiffe://cluster.local/ns/shop/sa/cart"
                        + " [mutual_tls, reported by node-a, 2 connections]");
        assertThat(DemoCommand.sum(metrics, "istio_tcp_sent_bytes_total")).isEqualTo(42.0);
        assertThat(DemoCommand.sum(metrics, "istio_tcp_received_bytes_total")).isZero();
    }

    @Test
    void appAnswersWithNameVersionAndPeer() {
        assertThat(DemoApp.reply("payment", "v1", new InetSocketAddress("198.18.1.5", 40000)))
                .isEqualTo("payment v1 (saw peer 198.18.1.5)");
    }

    @Test
    void theL7StepsAreAnHonestTodo() {
        assertThat(DemoCommand.L7_TODO).startsWith("L7 (waypoint) steps: not part of this demo yet");
    }
}
