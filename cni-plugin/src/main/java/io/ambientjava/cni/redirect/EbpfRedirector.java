package io.ambientjava.cni.redirect;

import io.ambientjava.bpf.BpfException;
import io.ambientjava.bpf.CgroupV2;
import io.ambientjava.bpf.EbpfRedirection;
import io.ambientjava.bpf.PinLayout;
import io.ambientjava.bpf.PodNetns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Redirection mode {@code ebpf}: a pod is enrolled in the node's {@link EbpfRedirection} (a map update by
 * netns cookie plus an {@code sk_lookup} link on the pod's netns) instead of getting nftables rules. The
 * programs themselves are installed once per node, attached at the cgroup v2 root and pinned under
 * {@code /sys/fs/bpf/ambient}, so they outlive the agent.
 *
 * <p>ztunnel runs as with nftables (it delivers to apps from the client's address; the programs keep the
 * app's replies in the pod and show the app the client), and same-node app ↔ ztunnel traffic skips the
 * TCP/IP stack while the reader keeps up. DNS capture is not available (only TCP is redirected), nor is
 * native IPv6 (IPv4, also through dual-stack sockets, is).
 */
public final class EbpfRedirector implements PodRedirector, AutoCloseable {
    private final EbpfRedirection redirection;
    // Pods whose netns file disappears before removal are unenrolled by the cookie seen at enrollment.
    private final Map<Path, Long> cookies = new ConcurrentHashMap<>();

    public EbpfRedirector(EbpfRedirection redirection) {
        this.redirection = redirection;
    }

    /**
     * Installs eBPF redirection on this node (or takes over what an earlier agent pinned): pins under
     * {@link PinLayout#DEFAULT_ROOT}, cgroup programs at the cgroup v2 root.
     *
     * @throws RedirectionException naming what is missing when the kernel cannot do it
     */
    public static EbpfRedirector installOnNode() {
        try {
            return new EbpfRedirector(EbpfRedirection.install(PinLayout.DEFAULT_ROOT, CgroupV2.root()));
        } catch (BpfException e) {
            throw new RedirectionException("cannot start eBPF redirection: " + e.getMessage(), e);
        }
    }

    @Override
    public void apply(Path netns) {
        try {
            PodNetns pod = redirection.enroll(netns);
            cookies.put(netns, pod.cookie());
        } catch (BpfException e) {
            throw new RedirectionException("eBPF redirection of " + netns + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void remove(Path netns) {
        Long known = cookies.remove(netns);
        try {
            if (Files.exists(netns)) {
                redirection.unenroll(netns);
            } else if (known != null) {
                redirection.unenroll(known);
            }
        } catch (BpfException e) {
            throw new RedirectionException("removing eBPF redirection of " + netns + " failed: " + e.getMessage(), e);
        }
    }

    /** Releases the agent's handles; the pinned programs keep redirecting (see {@link #uninstall}). */
    @Override
    public void close() {
        redirection.close();
    }

    /** Removes eBPF redirection from the node entirely: every pin, every attachment. */
    public void uninstall() {
        redirection.uninstall();
    }
}
