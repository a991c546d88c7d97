package io.ambientjava.perf.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class HostPortTest {

    @Test
    void roundTrips() {
        InetSocketAddress address = HostPort.parse("127.0.0.1:15008");

        assertThat(address.getHostString()).isEqualTo("127.0.0.1");
        assertThat(address.getPort()).isEqualTo(15008);
        assertThat(HostPort.format(address)).isEqualTo("127.0.0.1:15008");
    }

    @Test
    void rejectsAddressesWithoutAUsablePort() {
        assertThatThrownBy(() -> HostPort.parse("127.0.0.1")).hasMessageContaining("expected <host>:<port>");
        assertThatThrownBy(() -> HostPort.parse("127.0.0.1:")).hasMessageContaining("expected <host>:<port>");
        assertThatThrownBy(() -> HostPort.parse("127.0.0.1:http")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> HostPort.parse("127.0.0.1:70000")).hasMessageContaining("out of range");
    }
}
