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
    void requestTotalsAreSummedByServiceCodeAndSource() {
        String metrics = """
                # TYPE istio_requests_total counter
                istio_requests_total{reporter="waypoint",destination_service="product-api.shop.svc.cluster.local",response_code="200",source_workload="frontend-v1",destination_version="v1"} 1800.0
                istio_requests_total{reporter="waypoint",destination_service="product-api.shop.svc.cluster.local",response_code="200",source_workload="frontend-v1",destination_version="v2"} 200.0
                istio_requests_total{reporter="waypoint",destination_service="inventory.shop.svc.cluster.local",response_code="504",source_workload="cart-v1"} 1.0
                istio_request_duration_milliseconds_count{reporter="waypoint"} 2001.0
                """;

        assertThat(DemoCommand.requestTotals(metrics))
                .hasSize(2)
                .anyMatch(l -> l.matches(
                        "istio_requests_total product-api\\.shop\\.svc\\.cluster\\.local +200 +from frontend-v1 +2000"))
                .anyMatch(l -> l.matches(
                        "istio_requests_total inventory\\.shop\\.svc\\.cluster\\.local +504 +from cart-v1 +1"));
    }

    @Test
    void appMisbehavesOnlyWithValidNumbers() {
        assertThat(DemoApp.query("status=503&delay=20&delayOnce=a%20b"))
                .containsEntry("status", "503")
                .containsEntry("delay", "20")
                .containsEntry("delayOnce", "a b");
        assertThat(DemoApp.parseLong(null, "delay")).isZero();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DemoApp.parseLong("soon", "delay"))
                .hasMessage("delay must be a number: soon");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DemoApp.parseLong("-1", "status"))
                .hasMessage("status must not be negative: -1");
    }

    @Test
    void loadClientCountsAreReadBackAndBadSettingsNamed() {
        assertThat(LoadClient.parse("answer reviews v1 1502\nstatus 200 2000\ntimeouts 0\nWARNING: noise\n"))
                .containsEntry("answer reviews v1", 1502L)
                .containsEntry("status 200", 2000L)
                .containsEntry("timeouts", 0L)
                .hasSize(3);
        org.assertj.core.api.Assertions.assertThatThrownBy(() ->
                        LoadClient.Settings.parse(new String[] {"--url", "http://198.19.0.1/", "--requests", "0"}))
                .hasMessageContaining("--requests must be 1..");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> LoadClient.Settings.parse(new String[] {"--url", "ftp://x/"}))
                .hasMessageContaining("--url must be an http:// URL");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> LoadClient.Settings.parse(new String[] {"--rate", "5"}))
                .hasMessageContaining("cannot read '--rate'");
    }

    @Test
    void theDemoCarriesSeed13Unmodified() throws Exception {
        try (var in = DemoCommand.class.getResourceAsStream(DemoCommand.SEED_13)) {
            assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo(java.nio.file.Files.readString(java.nio.file.Path.of(
                            "../istiod-lite/src/test/resources/seed-examples", DemoCommand.SEED_13)));
        }
    }
}
