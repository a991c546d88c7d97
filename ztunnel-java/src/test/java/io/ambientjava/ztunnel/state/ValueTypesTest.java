package io.ambientjava.ztunnel.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ValueTypesTest {

    @Test
    void ipLiteralsAreParsedWithoutNameResolution() {
        assertThat(IpLiterals.parse("198.18.0.1").getHostAddress()).isEqualTo("198.18.0.1");
        assertThat(IpLiterals.parse("fd00::1").getAddress()).hasSize(16);
        assertThatThrownBy(() -> IpLiterals.parse("localhost"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'localhost' is not an IP address");
        assertThatThrownBy(() -> IpLiterals.parse("198.18.0.300")).hasMessageContaining("not an IP address");
        assertThatThrownBy(() -> IpLiterals.parse("")).hasMessage("empty IP address");
    }

    @Test
    void ipFromBytesNeedsFourOrSixteen() {
        assertThat(IpLiterals.fromBytes(new byte[] {(byte) 198, 18, 0, 7}).getHostAddress())
                .isEqualTo("198.18.0.7");
        assertThatThrownBy(() -> IpLiterals.fromBytes(new byte[5]))
                .hasMessage("5 bytes is not an IP address (expected 4 for IPv4 or 16 for IPv6)");
    }

    @Test
    void networkAddressTextForm() {
        NetworkAddress a = NetworkAddress.parse("/198.19.0.10");
        assertThat(a.network()).isEmpty();
        assertThat(a.address().getHostAddress()).isEqualTo("198.19.0.10");
        assertThat(a).hasToString("/198.19.0.10");
        assertThat(NetworkAddress.parse("east/198.19.0.10").network()).isEqualTo("east");
        assertThat(NetworkAddress.parse("east/198.19.0.10")).isNotEqualTo(a);
        assertThatThrownBy(() -> NetworkAddress.parse("198.19.0.10"))
                .hasMessageContaining("is not network/ip (use '/198.19.0.10' for the default network)");
        assertThatThrownBy(() -> NetworkAddress.parse("east/echo")).hasMessageContaining("not an IP address");
    }

    @Test
    void namespacedHostnameTextForm() {
        NamespacedHostname n = NamespacedHostname.parse("default/echo.default.svc.cluster.local");
        assertThat(n.namespace()).isEqualTo("default");
        assertThat(n.hostname()).isEqualTo("echo.default.svc.cluster.local");
        assertThat(n).hasToString("default/echo.default.svc.cluster.local");
        for (String bad : new String[] {"echo", "/echo", "default/", "a/b/c"}) {
            assertThatThrownBy(() -> NamespacedHostname.parse(bad))
                    .as(bad)
                    .hasMessage("'" + bad + "' is not namespace/hostname");
        }
    }

    @Test
    void portMapValidatesRangesAndKeepsOrder() {
        PortMap ports = new PortMap(Map.of(443, 8443, 80, 8080, 9000, 0));
        assertThat(ports.ports().keySet()).containsExactly(80, 443, 9000);
        assertThat(ports.target(80)).hasValue(8080);
        assertThat(ports.target(9000)).hasValue(0);
        assertThat(ports.target(81)).isEmpty();
        assertThatThrownBy(() -> PortMap.of(0, 80)).hasMessage("service port 0 is not in 1..65535");
        assertThatThrownBy(() -> PortMap.of(80, 70000))
                .hasMessage("target port 70000 (for service port 80) is not in 0..65535");
    }

    @Test
    void gatewayDestinationIsAnAddressWhenItParsesAsOne() {
        assertThat(GatewayAddress.Destination.parse("/198.19.0.99"))
                .isEqualTo(new GatewayAddress.Destination.Address(NetworkAddress.parse("/198.19.0.99")));
        assertThat(GatewayAddress.Destination.parse("default/waypoint.default.svc.cluster.local"))
                .isEqualTo(new GatewayAddress.Destination.Hostname(
                        NamespacedHostname.parse("default/waypoint.default.svc.cluster.local")));
        assertThatThrownBy(() -> GatewayAddress.Destination.parse("waypoint"))
                .hasMessage("'waypoint' is not namespace/hostname");
    }

    @Test
    void workloadDefaultsAndIdentity() {
        Workload w = Workload.builder("Kubernetes//Pod/default/a", "default").build();
        assertThat(w.serviceAccount()).isEqualTo("default");
        assertThat(w.trustDomain()).isEqualTo("cluster.local");
        assertThat(w.protocol()).isEqualTo(Protocol.TCP);
        assertThat(w.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(w.capacity()).isEqualTo(1);
        assertThat(w.spiffeId()).isEqualTo("spiffe://cluster.local/ns/default/sa/default");
        assertThat(w.toBuilder().serviceAccount("echo").build().spiffeId())
                .isEqualTo("spiffe://cluster.local/ns/default/sa/echo");
        assertThatThrownBy(() -> Workload.builder("", "default").build()).hasMessage("uid is required");
        assertThatThrownBy(() -> Workload.builder("u", " ").build()).hasMessage("namespace is required");
    }
}
