package io.ambientjava.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.perf.tunnel.TunnelKind;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class TunnelChildTest {

    private static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());

    @Test
    @Timeout(60)
    void startsReportsItsEntryAndIsGoneAfterClose() throws Exception {
        List<String> command = TunnelChild.command(
                TunnelKind.TLS,
                new InetSocketAddress("127.0.0.1", 9),
                1,
                BenchmarkOptions.DEFAULT_TUNNEL_JVM_OPTIONS,
                Duration.ofMinutes(1));

        TunnelChild child = TunnelChild.start(command, Duration.ofSeconds(30), QUIET);
        ProcessHandle handle = ProcessHandle.of(child.pid()).orElseThrow();
        try {
            assertThat(child.entryAddress().getAddress().isLoopbackAddress()).isTrue();
            assertThat(child.entryAddress().getPort()).isPositive();
            assertThat(child.cpuSeconds()).isPositive();
            assertThat(child.memory().peakResidentBytes()).isPositive();
        } finally {
            child.close();
        }
        assertThat(handle.isAlive()).isFalse();
    }

    @Test
    @Timeout(60)
    void saysWhyAChildThatCannotStartFailed() {
        List<String> command = new ArrayList<>(TunnelChild.command(
                TunnelKind.TLS,
                new InetSocketAddress("127.0.0.1", 9),
                1,
                BenchmarkOptions.DEFAULT_TUNNEL_JVM_OPTIONS,
                Duration.ofMinutes(1)));
        command.set(command.size() - 4, "quic"); // the tunnel kind argument

        assertThatThrownBy(() -> TunnelChild.start(command, Duration.ofSeconds(30), QUIET))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("exited before it was ready (exit code 2)");
    }
}
