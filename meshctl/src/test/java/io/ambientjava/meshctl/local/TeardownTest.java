package io.ambientjava.meshctl.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TeardownTest {
    @TempDir
    Path dir;

    @Test
    void runsNewestFirstOnceAndGoesOnAfterAFailure() {
        List<String> order = new ArrayList<>();
        Teardown teardown = new Teardown();
        teardown.add("first", () -> order.add("first"));
        teardown.add("broken", () -> {
            throw new IllegalStateException("device busy");
        });
        teardown.add("last", () -> order.add("last"));

        assertThat(teardown.runAll()).containsExactly("broken: device busy");
        assertThat(order).containsExactly("last", "first");
        assertThat(teardown.runAll()).isEmpty();
        assertThat(order).hasSize(2);
    }

    @Test
    void childProcessThatExitsEarlySaysSoWithItsOutput() throws Exception {
        ChildProcess child = ChildProcess.start(
                "failing", List.of("sh", "-c", "echo cannot bind port; exit 3"), dir.resolve("failing.log"));
        try {
            assertThatThrownBy(() -> child.awaitLine("ready", Duration.ofSeconds(10)))
                    .hasMessageContaining("failing exited (3)")
                    .hasMessageContaining("cannot bind port");
        } finally {
            child.close();
        }
    }

    @Test
    void childProcessReadyLineIsFound() throws Exception {
        try (ChildProcess child = ChildProcess.start(
                "sleeper", List.of("sh", "-c", "echo 'x ready at 1'; sleep 30"), dir.resolve("sleeper.log"))) {
            assertThat(child.awaitLine("ready", Duration.ofSeconds(10))).isEqualTo("x ready at 1");
        }
    }

    @Test
    void missingJarNamesTheModuleToBuild() throws Exception {
        Files.createDirectories(dir.resolve("istiod-lite/target"));
        Files.writeString(dir.resolve("istiod-lite/target/istiod-lite.jar"), "");

        assertThatThrownBy(() -> DemoJars.locate(dir))
                .hasMessageContaining("ztunnel-java/target/ztunnel.jar does not exist")
                .hasMessageContaining("-pl ztunnel-java install");
    }
}
