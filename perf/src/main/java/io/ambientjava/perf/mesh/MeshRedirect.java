package io.ambientjava.perf.mesh;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** How the node agent steers pod traffic to ztunnel (the agent's {@code --redirect}). */
public enum MeshRedirect {
    /** nftables rules and policy routing in each pod's netns (Istio's in-pod mode). */
    NFTABLES,
    /** cgroup connect/getsockopt/sockops programs plus an {@code sk_lookup} link per pod netns. */
    EBPF,
    /**
     * {@link #EBPF} with its same-node fast path ({@code sk_msg} on the pair sockhash) detached after install:
     * every byte between app and ztunnel takes the TCP/IP stack, to tell the fast path's share apart.
     */
    EBPF_NO_FAST_PATH;

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * {@code nftables}, {@code ebpf}, {@code ebpf-no-fast-path}, {@code both} (nftables then ebpf) or a
     * comma-separated list of them, any case.
     */
    public static List<MeshRedirect> parseChoice(String text) {
        List<MeshRedirect> modes = new ArrayList<>();
        for (String part : text.split(",")) {
            String choice = part.strip().toLowerCase(Locale.ROOT);
            if (choice.equals("both")) {
                modes.addAll(List.of(NFTABLES, EBPF));
                continue;
            }
            modes.add(Arrays.stream(values())
                    .filter(m -> m.label().equals(choice))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown redirect mode '" + part.strip()
                            + "'; expected nftables, ebpf, ebpf-no-fast-path or both")));
        }
        return modes.stream().distinct().toList();
    }
}
