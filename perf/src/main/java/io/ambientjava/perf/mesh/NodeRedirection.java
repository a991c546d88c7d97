package io.ambientjava.perf.mesh;

import io.ambientjava.bpf.CgroupV2;
import io.ambientjava.bpf.EbpfRedirection;
import io.ambientjava.cni.redirect.EbpfRedirector;
import io.ambientjava.cni.redirect.NftablesRedirector;
import io.ambientjava.cni.redirect.PodRedirector;
import io.ambientjava.cni.redirect.RedirectionConfig;
import io.ambientjava.testing.cgroup.JvmCgroup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One redirection mode set up for a benchmark run, as the node agent would: the redirector pods are enrolled
 * with and what ztunnel needs on its command line. The ebpf mode is confined to the benchmark: its cgroup
 * programs attach to a {@link JvmCgroup} holding this JVM (and the ztunnels it starts), its pins live
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
        private final JvmCgroup cgroup;
        private final boolean fastPath;
        private final EbpfRedirector redirector;

        private Ebpf(JvmCgroup cgroup, boolean fastPath, EbpfRedirector redirector) {
            this.cgroup = cgroup;
            this.fastPath = fastPath;
            this.redirector = redirector;
        }

        private static final String PIN_ROOT_PREFIX = "ambient-perf-";

        static Ebpf install(boolean fastPath) throws IOException {
            // A run killed before its close() left its pins; their cgroup is gone, the pins are not.
            StalePinRoots.sweep(
                    Path.of("/sys/fs/bpf"), PIN_ROOT_PREFIX, StalePinRoots::running, EbpfRedirection::uninstall);
            JvmCgroup cgroup = JvmCgroup.enter(CgroupV2.root(), "ambient-perf-");
            Path pinRoot = Path.of(
                    "/sys/fs/bpf", PIN_ROOT_PREFIX + ProcessHandle.current().pid());
            try {
                EbpfRedirection redirection = EbpfRedirection.install(pinRoot, cgroup.path(), fastPath);
                return new Ebpf(cgroup, fastPath, new EbpfRedirector(redirection));
            } catch (RuntimeException e) {
                EbpfRedirection.uninstall(pinRoot);
                cgroup.close();
                throw e;
            }
        }

        @Override
        public MeshRedirect mode() {
            return fastPath ? MeshRedirect.EBPF : MeshRedirect.EBPF_NO_FAST_PATH;
        }

        @Override
        public EbpfRedirector redirector() {
            return redirector;
        }

        @Override
        public List<String> ztunnelOptions() {
            // The same as with nftables: the programs move ztunnel's transparent delivery bind to the pod address.
            return List.of();
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
