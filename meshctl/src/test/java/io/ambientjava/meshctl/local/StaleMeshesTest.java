package io.ambientjava.meshctl.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A run killed with SIGKILL is cleared by the next one; a live run is left alone. */
class StaleMeshesTest {

    @Test
    void abandonedRunsProcessesAndFolderGoLiveRunsStay() throws Exception {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Path abandoned = Files.createTempDirectory(tmp, "aj-demo-0a0b0c-");
        Path live = Files.createTempDirectory(tmp, "aj-demo-0d0e0f-");
        Process deadOwner = new ProcessBuilder("true").start();
        deadOwner.waitFor(10, TimeUnit.SECONDS);
        Files.writeString(abandoned.resolve(StaleMeshes.OWNER_FILE), Long.toString(deadOwner.pid()));
        StaleMeshes.claim(live);
        Process leftBehind = new ProcessBuilder("sh", "-c", "sleep 60", abandoned.toString()).start();
        try {
            assertThat(StaleMeshes.sweep()).contains("aj-demo-0a0b0c").doesNotContain("aj-demo-0d0e0f");

            assertThat(leftBehind.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(abandoned).doesNotExist();
            assertThat(live.resolve(StaleMeshes.OWNER_FILE)).exists();
        } finally {
            leftBehind.destroyForcibly();
            Files.deleteIfExists(live.resolve(StaleMeshes.OWNER_FILE));
            Files.deleteIfExists(live);
        }
    }

    @Test
    void meshNameIsThePrefixOfItsFolder() {
        assertThat(StaleMeshes.meshName(Path.of("/tmp/aj-demo-1a2b3c-1234567"))).isEqualTo("aj-demo-1a2b3c");
        assertThat(StaleMeshes.meshName(Path.of("/tmp/aj-local-4d5e6f-89"))).isEqualTo("aj-local-4d5e6f");
    }
}
