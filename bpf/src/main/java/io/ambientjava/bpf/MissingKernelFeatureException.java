package io.ambientjava.bpf;

import java.util.List;

/**
 * The running kernel lacks BPF program or map types that eBPF redirection needs. Raised at start, never
 * papered over: the message lists every missing feature by name.
 */
public final class MissingKernelFeatureException extends BpfException {
    private final List<String> missing;

    public MissingKernelFeatureException(List<String> missing) {
        super("the kernel lacks what eBPF redirection needs: " + String.join(", ", missing)
                + " (use nftables redirection on this host, or a kernel with these BPF features)");
        this.missing = List.copyOf(missing);
    }

    /** The missing features, e.g. {@code "program type sk_lookup"}. */
    public List<String> missing() {
        return missing;
    }
}
