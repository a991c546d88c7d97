package io.ambientjava.ztunnel.inpod.netns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class NetworkNamespaceTest {

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.singleNode();

    @Test
    void theCurrentThreadsNamespaceHasItsProcIdentity() throws Exception {
        try (NetworkNamespace current = NetworkNamespace.ofCurrentThread()) {
            assertThat(current.id()).isEqualTo(NetworkNamespace.currentThreadId());
            assertThat(current.id().toString())
                    .isEqualTo(Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net"))
                            .toString());
            assertThat(current.isOpen()).isTrue();
            assertThat(current.description()).isEqualTo("/proc/thread-self/ns/net");
        }
    }

    @Test
    @RequiresRoot
    @RequiresCommand("ip")
    void aNamedPodNamespaceIsNotTheHosts() throws Exception {
        Pod pod = net.addPod("a");
        try (NetworkNamespace byName = NetworkNamespace.named(pod.netnsName());
                NetworkNamespace byPath = NetworkNamespace.open(pod.netnsPath());
                NetworkNamespace host = NetworkNamespace.ofCurrentThread()) {
            assertThat(byName.sameNamespaceAs(byPath)).isTrue();
            assertThat(byName.id()).isEqualTo(byPath.id());
            assertThat(byName.sameNamespaceAs(host)).isFalse();
            assertThat(byName.fd()).isNotEqualTo(byPath.fd());
        }
    }

    @Test
    void aRegularFileIsRejectedAsNotANamespace(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("net"), "");

        assertThatThrownBy(() -> NetworkNamespace.open(file))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(file + " is not a network namespace: not a namespace file")
                .hasMessageContaining("NS_GET_NSTYPE")
                .hasMessageContaining("Inappropriate ioctl for device");
    }

    @Test
    void aDirectoryIsRejectedAsNotANamespace(@TempDir Path dir) {
        assertThatThrownBy(() -> NetworkNamespace.open(dir)).hasMessageContaining("is not a network namespace");
    }

    @Test
    void anotherKindOfNamespaceIsRejectedByName() {
        assertThatThrownBy(() -> NetworkNamespace.open(Path.of("/proc/self/ns/mnt")))
                .isInstanceOf(IOException.class)
                .hasMessage("/proc/self/ns/mnt is a mount namespace, not a network namespace");
        assertThatThrownBy(() -> NetworkNamespace.open(Path.of("/proc/self/ns/uts")))
                .hasMessage("/proc/self/ns/uts is a UTS namespace, not a network namespace");
    }

    @Test
    void aMissingNamespaceNamesThePathAndTheError() {
        assertThatThrownBy(() -> NetworkNamespace.named("no-such-netns-for-ambient-tests"))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot open network namespace /var/run/netns/no-such-netns-for-ambient-tests")
                .hasMessageContaining("No such file or directory");
    }

    @Test
    void namesThatAreNotPlainNamesAreRefused() {
        assertThatThrownBy(() -> NetworkNamespace.named("../../proc/1/ns/net"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a network namespace name");
        assertThatThrownBy(() -> NetworkNamespace.named("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NetworkNamespace.named("..")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void adoptTakesAReceivedDescriptorAndChecksIt(@TempDir Path dir) throws Exception {
        int fd = Libc.open("/proc/thread-self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC);
        try (NetworkNamespace adopted = NetworkNamespace.adopt(fd, "pod uid-1234")) {
            assertThat(adopted.fd()).isEqualTo(fd);
            assertThat(adopted.id()).isEqualTo(NetworkNamespace.currentThreadId());
            assertThat(adopted).hasToString("pod uid-1234 " + adopted.id());
        }

        int notNetns = Libc.open(Files.writeString(dir.resolve("x"), "").toString(), Libc.O_RDONLY);
        assertThatThrownBy(() -> NetworkNamespace.adopt(notNetns, "pod uid-5678"))
                .hasMessageStartingWith("pod uid-5678 is not a network namespace");
    }

    @Test
    void aClosedHandleRefusesItsDescriptor() throws Exception {
        NetworkNamespace current = NetworkNamespace.ofCurrentThread();
        current.close();
        current.close();

        assertThat(current.isOpen()).isFalse();
        assertThatThrownBy(current::fd)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is closed");
    }
}
