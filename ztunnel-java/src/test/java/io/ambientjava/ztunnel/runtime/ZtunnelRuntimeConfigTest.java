package io.ambientjava.ztunnel.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.identity.manager.LocalCaCertificateProvider;
import io.ambientjava.ztunnel.state.WorkloadStore;
import io.ambientjava.ztunnel.telemetry.ConnectionObserver;
import io.ambientjava.ztunnel.testsupport.TestMesh;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ZtunnelRuntimeConfigTest {

    private static ZtunnelRuntimeConfig defaults() {
        return ZtunnelRuntimeConfig.of(
                "node1",
                "cluster.local",
                new WorkloadStore(),
                new LocalCaCertificateProvider(TestMesh.ca()),
                ConnectionObserver.NONE);
    }

    @Test
    void defaultsAreIstios() {
        ZtunnelRuntimeConfig config = defaults();

        assertThat(config.ports()).isEqualTo(new ListenerPorts(15001, 15006, 15008));
        assertThat(config.eventLoopThreads()).isEqualTo(2);
        assertThat(config.inboundSource()).isEqualTo(InboundSourceMode.PRESERVE_CLIENT_IP);
        assertThat(config.withEventLoopThreads(4).eventLoopThreads()).isEqualTo(4);
        assertThat(config.withInboundSource(InboundSourceMode.POD_ADDRESS).inboundSource())
                .isEqualTo(InboundSourceMode.POD_ADDRESS);
        assertThat(config.withDrainTimeout(Duration.ZERO).drainTimeout()).isZero();
    }

    @Test
    void badValuesAreRefusedByName() {
        assertThatThrownBy(() -> defaults().withEventLoopThreads(0))
                .hasMessage("eventLoopThreads must be at least 1, was 0");
        assertThatThrownBy(() -> defaults().withDrainTimeout(Duration.ofSeconds(-1)))
                .hasMessage("drainTimeout must not be negative, was PT-1S");
        assertThatThrownBy(() -> defaults().withConnectTimeout(Duration.ZERO))
                .hasMessage("connectTimeout must be positive, was PT0S");
        assertThatThrownBy(() -> ZtunnelRuntimeConfig.of(
                        "node1", " ", new WorkloadStore(), new LocalCaCertificateProvider(TestMesh.ca()), null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("observer");
        assertThatThrownBy(() -> ZtunnelRuntimeConfig.of(
                        "node1",
                        " ",
                        new WorkloadStore(),
                        new LocalCaCertificateProvider(TestMesh.ca()),
                        ConnectionObserver.NONE))
                .hasMessage("trustDomain is required");
    }

    @Test
    void listenerPortsMustBeValidAndDistinct() {
        assertThatThrownBy(() -> new ListenerPorts(0, 15006, 15008)).hasMessage("outbound port 0 is not in 1..65535");
        assertThatThrownBy(() -> new ListenerPorts(15001, 70000, 15008))
                .hasMessage("inboundPlaintext port 70000 is not in 1..65535");
        assertThatThrownBy(() -> new ListenerPorts(15001, 15001, 15008))
                .hasMessage("listener ports must differ: outbound 15001, inboundPlaintext 15001, inboundHbone 15008");
    }
}
