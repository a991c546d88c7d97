package io.ambientjava.testing.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.testing.RequiresRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

@RequiresRoot
class JvmCgroupTest {

    @Test
    void theJvmMovesIntoAFreshChildAndBackOnClose() throws IOException {
        Path root = cgroupV2Root();
        String before = currentCgroup();

        Path child;
        try (JvmCgroup cgroup = JvmCgroup.enter(root, "aj-testing-")) {
            child = cgroup.path();
            assertThat(child.getParent()).isEqualTo(root);
            assertThat(child.getFileName().toString()).startsWith("aj-testing-");
            assertThat(currentCgroup()).isEqualTo("/" + root.relativize(child));
            assertThat(Files.readString(child.resolve("cgroup.procs")))
                    .contains(Long.toString(ProcessHandle.current().pid()));
        }

        assertThat(currentCgroup()).isEqualTo(before);
        assertThat(child).doesNotExist();
    }

    private static String currentCgroup() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/cgroup")).stream()
                .filter(line -> line.startsWith("0::"))
                .map(line -> line.substring(3))
                .findFirst()
                .orElseThrow();
    }

    /** Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup/unified on these machines). */
    private static Path cgroupV2Root() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(line -> line.contains(" - cgroup2 "))
                .map(line -> Path.of(line.split(" ")[4]))
                .findFirst()
                .orElseThrow(() -> new IOException("no cgroup v2 mount"));
    }
}
