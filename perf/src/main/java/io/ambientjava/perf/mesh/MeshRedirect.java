package io.ambientjava.perf.mesh;

import java.util.List;
import java.util.Locale;

/** How the node agent steers pod traffic to ztunnel (the agent's {@code --redirect}). */
public enum MeshRedirect {
    /** nftables rules and policy routing in each pod's netns (Istio's in-pod mode). */
    NFTABLES,
    /** cgroup connect/getsockopt/sockops programs plus an {@code sk_lookup} link per pod netns. */
    EBPF;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code nftables}, {@code ebpf} or {@code both} (nftables first), any case. */
    public static List<MeshRedirect> parseChoice(String text) {
        String choice = text.strip().toLowerCase(Locale.ROOT);
        return switch (choice) {
            case "nftables" -> List.of(NFTABLES);
            case "ebpf" -> List.of(EBPF);
            case "both" -> List.of(NFTABLES, EBPF);
            default ->
                throw new IllegalArgumentException(
                        "unknown redirect mode '" + text + "'; expected nftables, ebpf or both");
        };
    }
}
