package io.ambientjava.bpf;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@RequiresRoot
@RequiresCommand({"umount"})
class BpfFileSystemTest {
    @Test
    void mountsABpfFileSystemWhereThereIsNone() throws Exception {
        Path mountPoint = Files.createTempDirectory("bpffs-test-");
        Path pinRoot = mountPoint.resolve("ambient");
        try {
            assertThat(BpfFileSystem.isBpfFs(mountPoint)).isFalse();

            BpfFileSystem.ensureMounted(pinRoot);

            assertThat(BpfFileSystem.isBpfFs(mountPoint)).isTrue();
            assertThat(pinRoot).isDirectory();
            BpfFileSystem.ensureMounted(pinRoot); // already there: nothing to do
        } finally {
            if (BpfFileSystem.isBpfFs(mountPoint)) {
                Process umount = new ProcessBuilder("umount", mountPoint.toString()).start();
                assertThat(umount.waitFor(10, TimeUnit.SECONDS)).isTrue();
            }
            Files.deleteIfExists(pinRoot);
            Files.deleteIfExists(mountPoint);
        }
    }

    @Test
    void theHostsBpfFileSystemIsRecognised() {
        assertThat(BpfFileSystem.isBpfFs(Path.of("/sys/fs/bpf"))).isTrue();
        assertThat(BpfFileSystem.isBpfFs(Path.of("/proc"))).isFalse();
    }
}
