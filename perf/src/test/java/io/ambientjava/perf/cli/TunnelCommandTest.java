package io.ambientjava.perf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.perf.bench.BenchmarkOptions;
import io.ambientjava.perf.bench.Variant;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TunnelCommandTest {

    private static BenchmarkOptions parse(String... args) {
        TunnelCommand command = new TunnelCommand();
        new CommandLine(command).parseArgs(args);
        return command.options();
    }

    @Test
    void withoutOptionsRunsTheFullBenchmark() {
        assertThat(parse()).isEqualTo(BenchmarkOptions.defaults());
    }

    @Test
    void quickShortensTimesButExplicitOptionsWin() {
        BenchmarkOptions options = parse("--quick", "--duration", "3s", "--variants", "tls,hbone", "--rates", "500");

        assertThat(options.warmup()).isEqualTo(Duration.ofMillis(500));
        assertThat(options.duration()).isEqualTo(Duration.ofSeconds(3));
        assertThat(options.variants()).containsExactly(Variant.TLS, Variant.HBONE);
        assertThat(options.rates()).containsExactly(500);
    }

    @Test
    void splitsTunnelJvmOptionsOnWhitespace() {
        assertThat(parse("--tunnel-jvm-opts", " -Xmx128m  -XX:+UseG1GC ").tunnelJvmOptions())
                .containsExactly("-Xmx128m", "-XX:+UseG1GC");
    }

    @Test
    void reportsBadValuesWithTheOptionName() {
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new TunnelCommand())
                .setErr(new PrintWriter(err))
                .execute("--duration", "ten");

        assertThat(exit).isNotZero();
        assertThat(err.toString()).contains("--duration").contains("'ten' is not a duration");
    }
}
