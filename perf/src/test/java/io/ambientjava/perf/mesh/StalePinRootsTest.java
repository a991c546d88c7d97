package io.ambientjava.perf.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StalePinRootsTest {

    @TempDir
    Path bpf;

    @Test
    void onlyRootsOfProcessesThatNoLongerRunAreUninstalled() throws Exception {
        Path dead = Files.createDirectories(bpf.resolve("ambient-perf-41"));
        Path alive = Files.createDirectories(bpf.resolve("ambient-perf-42"));
        Path other = Files.createDirectories(bpf.resolve("ambient"));
        Path notAPid = Files.createDirectories(bpf.resolve("ambient-perf-x1"));
        List<Path> uninstalled = new ArrayList<>();

        List<Path> removed = StalePinRoots.sweep(bpf, "ambient-perf-", pid -> pid == 42, uninstalled::add);

        assertThat(removed).containsExactly(dead);
        assertThat(uninstalled).containsExactly(dead);
        assertThat(alive).exists();
        assertThat(other).exists();
        assertThat(notAPid).exists();
    }

    @Test
    void thisProcessCountsAsRunningAndAMissingRootIsNothingToDo() {
        assertThat(StalePinRoots.running(ProcessHandle.current().pid())).isTrue();
        assertThat(StalePinRoots.sweep(bpf.resolve("absent"), "ambient-perf-", pid -> false, root -> {}))
                .isEmpty();
    }
}
