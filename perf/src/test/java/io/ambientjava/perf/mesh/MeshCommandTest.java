package io.ambientjava.perf.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MeshCommandTest {

    @Test
    void defaultsAreIstiosBenchmarkShape(@TempDir Path dir) throws Exception {
        MeshOptions options = parse("--stunnel", "/bin/stunnel-x", "--ztunnel-jar", dir.toString());
        assertThat(options.variants()).containsExactly(MeshVariant.DIRECT, MeshVariant.ZTUNNEL, MeshVariant.STUNNEL);
        assertThat(options.rate()).isEqualTo(1000);
        assertThat(options.connections()).isEqualTo(16);
        assertThat(options.messageSize()).isEqualTo(1024);
        assertThat(options.streams()).isEqualTo(16);
        assertThat(options.duration()).isEqualTo(Duration.ofSeconds(10));
        assertThat(options.ztunnelJvmOptions()).isEqualTo(ZtunnelLauncher.DEFAULT_JVM_OPTIONS);
        assertThat(options.stunnelBinary()).isEqualTo("/bin/stunnel-x");
        assertThat(options.sameNode()).isFalse();
        assertThat(parse("--variants", "direct", "--same-node").sameNode()).isTrue();
    }

    @Test
    void quickShortensAndExplicitValuesWin() {
        MeshOptions quick = parse("--quick", "--variants", "direct", "--duration", "250ms", "--streams", "4");
        assertThat(quick.warmup()).isEqualTo(Duration.ofMillis(300));
        assertThat(quick.duration()).isEqualTo(Duration.ofMillis(250));
        assertThat(quick.streams()).isEqualTo(4);
        assertThat(quick.variants()).containsExactly(MeshVariant.DIRECT);
    }

    @Test
    void redirectAndEnrollmentDefaultsAndQuick() {
        MeshOptions defaults = parse("--variants", "direct");
        assertThat(defaults.redirects()).containsExactly(MeshRedirect.NFTABLES);
        assertThat(defaults.enrollment()).contains(new EnrollmentPlan(30, 1000, Duration.ofSeconds(300)));

        MeshOptions quick = parse("--quick", "--variants", "direct", "--redirect", "both");
        assertThat(quick.redirects()).containsExactly(MeshRedirect.NFTABLES, MeshRedirect.EBPF);
        assertThat(quick.enrollment()).contains(new EnrollmentPlan(10, 200, Duration.ofSeconds(60)));

        assertThat(parse("--variants", "direct", "--enroll-pods", "0").enrollment())
                .isEmpty();
        assertThatThrownBy(() -> parse("--variants", "direct", "--redirect", "tc"))
                .hasMessageContaining("'tc'");
    }

    @Test
    void jvmOptionsAreSplitOnWhitespace() {
        MeshOptions options = parse("--variants", "direct", "--ztunnel-jvm-opts", " -Xmx64m  -XX:+UseSerialGC ");
        assertThat(options.ztunnelJvmOptions()).containsExactly("-Xmx64m", "-XX:+UseSerialGC");
    }

    @Test
    void anUnknownVariantIsNamed() {
        assertThatThrownBy(() -> parse("--variants", "direct,linkerd")).hasMessageContaining("'linkerd'");
    }

    @Test
    void aMissingZtunnelJarSaysHowToBuildIt(@TempDir Path dir) {
        assertThatThrownBy(() -> new ZtunnelLauncher(dir.resolve("nope.jar"), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nope.jar does not exist")
                .hasMessageContaining("-pl ztunnel-java install");
    }

    @Test
    void ztunnelCommandNamesNodeConfigCaAndPods(@TempDir Path dir) throws Exception {
        Path jar = Files.createFile(dir.resolve("ztunnel.jar"));
        ZtunnelLauncher launcher = new ZtunnelLauncher(jar, List.of("-Xmx48m"));
        List<String> command = launcher.command("node1", dir.resolve("mesh.yaml"), dir.resolve("ca"), List.of());
        assertThat(command)
                .containsSubsequence("-Xmx48m", "-jar", jar.toAbsolutePath().toString(), "--node=node1")
                .contains(
                        "--local-config=" + dir.resolve("mesh.yaml"),
                        "--ca-dir=" + dir.resolve("ca"),
                        "--admin-port=0");
        assertThat(ZtunnelLauncher.locateJar(List.of(dir.resolve("missing.jar"), jar)))
                .isEqualTo(jar);
        assertThat(ZtunnelLauncher.locateJar(List.of(dir.resolve("missing.jar"))))
                .isEqualTo(dir.resolve("missing.jar"));
    }

    @Test
    void environmentEntriesGoBeforeJavaThroughEnv(@TempDir Path dir) throws Exception {
        Path jar = Files.createFile(dir.resolve("ztunnel.jar"));
        List<String> command = new ZtunnelLauncher(jar, List.of("MALLOC_ARENA_MAX=2", "-Xmx32m"))
                .command("node1", dir.resolve("mesh.yaml"), dir.resolve("ca"), List.of());
        assertThat(command.subList(0, 2)).containsExactly("env", "MALLOC_ARENA_MAX=2");
        assertThat(command.get(2)).endsWith("java");
        assertThat(command.get(3)).isEqualTo("-Xmx32m");
    }

    private static MeshOptions parse(String... args) {
        MeshCommand command = new MeshCommand();
        new CommandLine(command).parseArgs(args);
        return command.options();
    }
}
