package io.ambientjava.cni.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.bpf.CgroupV2;
import io.ambientjava.bpf.EbpfRedirection;
import io.ambientjava.bpf.PinLayout;
import io.ambientjava.bpf.PodNetns;
import io.ambientjava.cni.redirect.EbpfRedirector;
import io.ambientjava.cni.redirect.PodRedirector;
import io.ambientjava.testing.cgroup.JvmCgroup;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * The {@code ebpf} mode, confined to the test: the JVM (and ztunnel, started later as its child) moves into a
 * cgroup of its own where the cgroup programs attach, and the programs are pinned under a pin root of the
 * test's own. An agent restart closes the agent's handles and installs again over the same pins, as the agent
 * does on a node. {@link #close} uninstalls (every pin and link), checks nothing is left and moves the JVM back.
 */
public final class EbpfMeshRedirection implements MeshRedirection {
    private static final Path BPF_FS = Path.of("/sys/fs/bpf");
    private static final String PIN_PREFIX = "ajcni-test-";

    private JvmCgroup cgroup;
    private PinLayout pins;
    private EbpfRedirection redirection;
    private EbpfRedirector redirector;

    @Override
    public void setUp() throws Exception {
        removeStalePins();
        cgroup = JvmCgroup.enter(CgroupV2.root(), "ajcni-test-");
        pins = new PinLayout(
                BPF_FS.resolve(PIN_PREFIX + UUID.randomUUID().toString().substring(0, 8)));
    }

    @Override
    public PodRedirector startRedirector() {
        redirection = EbpfRedirection.install(pins.root(), cgroup.path());
        redirector = new EbpfRedirector(redirection);
        return redirector;
    }

    @Override
    public void stopRedirector() {
        if (redirector != null) {
            redirector.close();
            redirector = null;
            redirection = null;
        }
    }

    @Override
    public List<String> ztunnelOptions() {
        return List.of();
    }

    public PinLayout pins() {
        return pins;
    }

    @Override
    public void assertRedirected(Sandbox pod) throws Exception {
        long cookie = PodNetns.inspect(pod.netns()).cookie();
        assertThat(redirection.enrolledCookies()).contains(cookie);
        assertThat(pins.podLink(cookie)).as("the pod's sk_lookup link").exists();
        long inode = (Long) Files.getAttribute(pod.netns(), "unix:ino");
        assertThat(CniNode.exec(pod.netns(), "bpftool", "link", "show").stdout())
                .as("kernel links (bpftool link show) on the pod's netns")
                .contains("netns_ino " + inode + " ");
    }

    @Override
    public void assertNothingLeftFor(Sandbox pod) throws Exception {
        long cookie = PodNetns.inspect(pod.netns()).cookie();
        assertThat(redirection.enrolledCookies()).as("enrolled netns cookies").doesNotContain(cookie);
        assertThat(redirection.hasInboundListener(cookie))
                .as("the pod's inbound listener entry")
                .isFalse();
        assertThat(pins.podLink(cookie)).as("the pod's sk_lookup link").doesNotExist();
        long inode = (Long) Files.getAttribute(pod.netns(), "unix:ino");
        assertThat(CniNode.exec(pod.netns(), "bpftool", "link", "show").stdout())
                .as("kernel links (bpftool link show) on the pod's netns")
                .doesNotContain("netns_ino " + inode + " ");
    }

    @Override
    public void close() throws Exception {
        try {
            stopRedirector();
            if (pins != null) {
                EbpfRedirection.uninstall(pins.root());
                assertThat(pins.root())
                        .as("the test's pin root after uninstall")
                        .doesNotExist();
            }
        } finally {
            if (cgroup != null) {
                cgroup.close();
                cgroup = null;
            }
        }
    }

    /** Pin roots of test runs that were killed before cleaning up (their cgroup links would hold nothing). */
    private static void removeStalePins() throws Exception {
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(BPF_FS, PIN_PREFIX + "*")) {
            for (Path root : stale) {
                if (Files.getLastModifiedTime(root).toMillis() < System.currentTimeMillis() - 600_000) {
                    EbpfRedirection.uninstall(root);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "ebpf";
    }
}
