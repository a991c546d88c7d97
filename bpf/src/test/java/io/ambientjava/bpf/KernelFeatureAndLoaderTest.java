package io.ambientjava.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelFeatureAndLoaderTest {
    @Test
    @RequiresRoot
    void thisKernelHasEverythingRedirectionNeeds() {
        KernelFeature.requireAll(KernelFeature.REDIRECTION);
    }

    @Test
    @RequiresRoot
    void aMissingFeatureIsNamed() {
        List<KernelFeature> wanted = List.of(
                KernelFeature.program("sk_lookup", 30),
                KernelFeature.program("from-the-future", 9999),
                KernelFeature.map("imaginary", 9998),
                KernelFeature.helper("bpf_get_netns_cookie", 122, "sock_ops", 13),
                KernelFeature.helper("bpf_from_the_future", 99_999, "sock_ops", 13),
                KernelFeature.helper("bpf_anything", 1, "from-the-future", 9999));

        // The future program type's helper is not probed: its program type is already named.
        assertThatThrownBy(() -> KernelFeature.requireAll(wanted))
                .isInstanceOf(MissingKernelFeatureException.class)
                .hasMessageContaining("the kernel lacks what eBPF redirection needs:"
                        + " program type from-the-future, map type imaginary,"
                        + " helper bpf_from_the_future in sock_ops programs")
                .satisfies(e -> assertThat(((MissingKernelFeatureException) e).missing())
                        .containsExactly(
                                "program type from-the-future",
                                "map type imaginary",
                                "helper bpf_from_the_future in sock_ops programs"));
    }

    @Test
    void corruptObjectBytesAreRejectedClearly() {
        byte[] junk = "this is not an ELF file at all, just text".getBytes();

        assertThatThrownBy(() -> BpfObject.open("junk.bpf.o", junk))
                .isInstanceOf(BpfException.class)
                .hasMessageStartingWith("cannot open BPF object junk.bpf.o: ")
                .hasMessageContaining("errno");
    }

    @Test
    void truncatedObjectIsRejectedClearly() throws Exception {
        byte[] real;
        try (var in = BpfObject.class.getResourceAsStream(EbpfRedirection.OBJECT_RESOURCE)) {
            real = in.readAllBytes();
        }
        byte[] truncated = java.util.Arrays.copyOf(real, real.length / 3);

        assertThatThrownBy(() -> BpfObject.open("truncated.bpf.o", truncated))
                .isInstanceOf(BpfException.class)
                .hasMessageStartingWith("cannot open BPF object truncated.bpf.o: ");
    }

    @Test
    @RequiresRoot
    @RequiresCommand({"clang"})
    void aProgramTheVerifierRefusesFailsWithTheVerifiersReason(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("bad.bpf.c");
        Path object = dir.resolve("bad.bpf.o");
        // Reads far past the end of the sk_msg context: the verifier rejects the access.
        Files.writeString(source, """
                __attribute__((section("sk_msg"), used))
                int bad(void *msg) { return *((int *)msg + 4000); }
                __attribute__((section("license"), used)) char LICENSE[] = "GPL";
                """);
        Process clang = new ProcessBuilder(
                        "clang", "-O2", "-target", "bpf", "-c", source.toString(), "-o", object.toString())
                .redirectErrorStream(true)
                .start();
        assertThat(clang.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(clang.exitValue())
                .as(new String(clang.getInputStream().readAllBytes()))
                .isZero();

        try (BpfObject bad = BpfObject.open("bad.bpf.o", Files.readAllBytes(object))) {
            assertThatThrownBy(bad::load)
                    .isInstanceOf(BpfException.class)
                    .hasMessageStartingWith("loading BPF object bad.bpf.o into the kernel failed: ")
                    .hasMessageContaining("kernel log:")
                    .hasMessageContaining("invalid bpf_context access");
        }
    }

    @Test
    void emptyObjectIsRejected() {
        assertThatThrownBy(() -> BpfObject.open("empty.bpf.o", new byte[0]))
                .isInstanceOf(BpfException.class)
                .hasMessage("cannot open BPF object empty.bpf.o: it is empty");
    }

    @Test
    void shippedObjectOpensAndNamesItsProgramsAndMaps() {
        try (BpfObject object = BpfObject.openResource(EbpfRedirection.OBJECT_RESOURCE)) {
            assertThat(object.name()).isEqualTo("ambient_redirect.bpf.o");
            assertThatThrownBy(() -> object.programFd("no_such_program"))
                    .isInstanceOf(BpfException.class)
                    .hasMessage("the BPF object has no program named no_such_program");
        }
    }

    @Test
    void missingResourceIsNamed() {
        assertThatThrownBy(() -> BpfObject.openResource("/bpf/nothing.bpf.o"))
                .isInstanceOf(BpfException.class)
                .hasMessageContaining("BPF object /bpf/nothing.bpf.o is not on the class path");
    }

    @Test
    void cgroupRootIsFoundInMounts() {
        assertThat(CgroupV2.findRoot(List.of(
                        "cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0",
                        "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0")))
                .contains(Path.of("/sys/fs/cgroup/unified"));
        assertThat(CgroupV2.findRoot(List.of("proc /proc proc rw 0 0"))).isEmpty();
    }

    @Test
    void pinLayoutNamesEveryPin() {
        PinLayout pins = new PinLayout(Path.of("/sys/fs/bpf/ambient"));
        assertThat(pins.map("enrolled_netns")).isEqualTo(Path.of("/sys/fs/bpf/ambient/maps/enrolled_netns"));
        assertThat(pins.program("steer_inbound")).isEqualTo(Path.of("/sys/fs/bpf/ambient/progs/steer_inbound"));
        assertThat(pins.podLink(-1L)).isEqualTo(Path.of("/sys/fs/bpf/ambient/links/sk_lookup-18446744073709551615"));
        assertThatThrownBy(() -> new PinLayout(Path.of("/")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must not be /");
    }
}
