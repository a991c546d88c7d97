package io.ambientjava.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchmarkOptionsTest {

    @Test
    void defaultsAreTheFullRun() {
        BenchmarkOptions defaults = BenchmarkOptions.defaults();

        assertThat(defaults.variants()).containsExactly(Variant.DIRECT, Variant.TLS, Variant.HBONE);
        assertThat(defaults.duration()).isEqualTo(Duration.ofSeconds(10));
        assertThat(defaults.maxBytes()).isEqualTo(2L << 30);
        assertThat(defaults.streams()).isEqualTo(64);
        assertThat(defaults.rates()).containsExactly(1_000, 10_000);
        assertThat(defaults.tunnelJvmOptions()).contains("-Xmx256m", "-XX:+UseSerialGC");
    }

    @Test
    void quickShortensOnlyTheTimes() {
        BenchmarkOptions quick = BenchmarkOptions.defaults().quick();

        assertThat(quick.duration()).isEqualTo(Duration.ofSeconds(2));
        assertThat(quick.warmup()).isEqualTo(Duration.ofMillis(500));
        assertThat(quick.maxBytes()).isEqualTo(512L << 20);
        assertThat(quick.streams()).isEqualTo(64);
    }

    @Test
    void rejectsNonsenseNamingIt() {
        BenchmarkOptions d = BenchmarkOptions.defaults();
        assertThatThrownBy(() -> new BenchmarkOptions(
                        List.of(),
                        d.warmup(),
                        d.duration(),
                        d.maxBytes(),
                        1,
                        1,
                        d.rates(),
                        1,
                        1,
                        1,
                        1,
                        d.tunnelJvmOptions()))
                .hasMessageContaining("no variant");
        assertThatThrownBy(() -> new BenchmarkOptions(
                        d.variants(),
                        d.warmup(),
                        Duration.ZERO,
                        d.maxBytes(),
                        1,
                        1,
                        d.rates(),
                        1,
                        1,
                        1,
                        1,
                        d.tunnelJvmOptions()))
                .hasMessageContaining("duration must be positive");
        assertThatThrownBy(() -> new BenchmarkOptions(
                        d.variants(),
                        d.warmup(),
                        d.duration(),
                        d.maxBytes(),
                        0,
                        1,
                        d.rates(),
                        1,
                        1,
                        1,
                        1,
                        d.tunnelJvmOptions()))
                .hasMessageContaining("streams must be positive, got 0");
        assertThatThrownBy(() -> new BenchmarkOptions(
                        d.variants(),
                        d.warmup(),
                        d.duration(),
                        d.maxBytes(),
                        1,
                        1,
                        List.of(1000, -1),
                        1,
                        1,
                        1,
                        1,
                        d.tunnelJvmOptions()))
                .hasMessageContaining("request rate must be positive, got -1");
    }

    @Test
    void parsesVariantNames() {
        assertThat(Variant.parse(" HBONE ")).isEqualTo(Variant.HBONE);
        assertThat(Variant.DIRECT.tunnel()).isEmpty();
        assertThat(Variant.TLS.tunnel()).isPresent();
        assertThatThrownBy(() -> Variant.parse("quic")).hasMessageContaining("unknown variant 'quic'");
    }
}
