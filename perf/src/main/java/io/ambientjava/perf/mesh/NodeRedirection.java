package io.ambientjava.perf.mesh;

import io.ambientjava.bpf.EbpfRedirection;
import io.ambientjava.bpf.PinLayout;
import io.ambientjava.cni.redirect.EbpfRedirector;
import io.ambientjava.cni.redirect.NftablesRedirector;
import io.ambientjava.cni.redirect.PodRedirector;
import io.ambientjava.cni.redirect.RedirectionConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One redirection mode set up for a benchmark run, as the node agent would: the redirector pods are enrolled
 * with and what ztunnel needs on its command line. The ebpf mode is confined to the benchmark: its cgroup
 * programs attach to a {@link BenchmarkCgroup} holding this JVM (and the ztunnels it starts), its pins live
 * under a root of their own; {@link #close()} removes every pin and leaves the cgroup.
 */
sealed interface NodeRedirection extends AutoCloseable {
    MeshRedirect mode();

    PodRedirector redirector();

    List<String> ztunnelOptions();

    @Override
    void close() throws IOException;

    static NodeRedirection open(MeshRedirect mode) throws IOException {
        return switch (mode) {
            case NFTABLES -> new Nftables();
            case EBPF -> Ebpf.install(true);
            case EBPF_NO_FAST_PATH -> Ebpf.install(false);
        };
    }

    /** nftables: nothing node-wide; pods get their rules on apply and lose them with their netns. */
    record Nftables() implements NodeRedirection {
        @Override
        public MeshRedirect mode() {
            return MeshRedirect.NFTABLES;
        }

        @Override
        public PodRedirector redirector() {
            return new NftablesRedirector(RedirectionConfig.DEFAULTS);
        }

        @Override
        public List<String> ztunnelOptions() {
            return List.of();
        }

        @Override
        public void close() {}
    }

    /** ebpf on a benchmark cgroup and pin root; optionally without its sk_msg fast path. */
    final class Ebpf implements NodeRedirection {
        // Names inside the bpf module's pin layout: the sk_msg program and the sockhash it is attached to.
        private static final String FAST_PATH_PROGRAM = "bypass_stack";
        private static final String PAIR_MAP = "local_pairs";

        private final BenchmarkCgroup cgroup;
        private final boolean fastPath;
        private final EbpfRedirector redirector;

        private Ebpf(BenchmarkCgroup cgroup, boolean fastPath, EbpfRedirector redirector) {
            this.cgroup = cgroup;
            this.fastPath = fastPath;
            this.redirector = redirector;
        }

        static Ebpf install(boolean fastPath) throws IOException {
            BenchmarkCgroup cgroup = BenchmarkCgroup.enter();
            Path pinRoot = Path.of(
                    "/sys/fs/bpf/ambient-perf-" + ProcessHandle.current().pid());
            try {
                EbpfRedirection redirection = EbpfRedirection.install(pinRoot, cgroup.path());
                Ebpf ebpf = new Ebpf(cgroup, fastPath, new EbpfRedirector(redirection));
                if (!fastPath) {
                    detachFastPath(redirection.pins());
                }
                return ebpf;
            } catch (IOException | RuntimeException e) {
                EbpfRedirection.uninstall(pinRoot);
                cgroup.close();
                throw e;
            }
        }

        @Override
        public MeshRedirect mode() {
            return fastPath ? MeshRedirect.EBPF : MeshRedirect.EBPF_NO_FAST_PATH;
        }

        private static void detachFastPath(PinLayout pins) throws IOException {
            try {
                Process bpftool = new ProcessBuilder(
                                "bpftool",
                                "prog",
                                "detach",
                                "pinned",
                                pins.program(FAST_PATH_PROGRAM).toString(),
                                "msg_verdict",
                                "pinned",
                                pins.map(PAIR_MAP).toString())
                        .redirectErrorStream(true)
                        .start();
                String output = new String(bpftool.getInputStream().readAllBytes());
                if (!bpftool.waitFor(30, TimeUnit.SECONDS) || bpftool.exitValue() != 0) {
                    throw new IOException("bpftool could not detach the sk_msg fast path: " + output.strip());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while detaching the sk_msg fast path", e);
            }
        }

        @Override
        public EbpfRedirector redirector() {
            return redirector;
        }

        @Override
        public List<String> ztunnelOptions() {
            // Delivering from the client's address needs policy routing only the nftables mode installs.
            return List.of("--inbound-source=POD_ADDRESS");
        }

        @Override
        public void close() throws IOException {
            try {
                redirector.uninstall();
            } finally {
                cgroup.close();
            }
        }
    }
}
