package io.ambientjava.ztunnel.inpod.netns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibcTest {
    private static final int EBADF = 9;
    private static final int EINVAL = 22;

    @Test
    void setnsOnABadDescriptorReportsErrnoText() {
        assertThatThrownBy(() -> Libc.setns(-1, Libc.CLONE_NEWNET))
                .isInstanceOf(ErrnoException.class)
                .hasMessage("setns(fd -1, CLONE_NEWNET) failed: Bad file descriptor (errno 9)")
                .satisfies(e -> assertThat(((ErrnoException) e).errno()).isEqualTo(EBADF));
    }

    @Test
    void setnsIntoARegularFileReportsErrnoText(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("plain"), "not a namespace");
        int fd = Libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
        try {
            assertThatThrownBy(() -> Libc.setns(fd, Libc.CLONE_NEWNET))
                    .isInstanceOf(ErrnoException.class)
                    .hasMessageContaining("setns(fd " + fd + ", CLONE_NEWNET) failed: Invalid argument")
                    .satisfies(e -> assertThat(((ErrnoException) e).errno()).isEqualTo(EINVAL));
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void openOfAMissingFileNamesThePath() {
        assertThatThrownBy(() -> Libc.open("/nonexistent/netns", Libc.O_RDONLY))
                .isInstanceOf(ErrnoException.class)
                .hasMessage("open(/nonexistent/netns) failed: No such file or directory (errno 2)");
    }

    @Test
    void fileIdentityIsTheSameThroughPathAndDescriptor() throws Exception {
        int fd = Libc.open("/proc/thread-self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC);
        try {
            NetnsId byFd = Libc.fileId(fd);
            NetnsId byPath = Libc.fileId("/proc/thread-self/ns/net");

            assertThat(byFd).isEqualTo(byPath);
            assertThat(byFd.inode()).isPositive();
            assertThat(byFd.toString())
                    .isEqualTo(Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net"))
                            .toString());
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void strerrorGivesTheCLibraryText() {
        assertThat(Libc.strerror(2)).isEqualTo("No such file or directory");
        assertThat(Libc.strerror(1)).isEqualTo("Operation not permitted");
    }

    @Test
    void gettidNamesAThreadOfThisProcess() {
        assertThat(Path.of("/proc/self/task", Integer.toString(Libc.gettid()))).exists();
    }
}
