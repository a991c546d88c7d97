package io.ambientjava.bpf;

import java.util.ArrayList;
import java.util.List;

/**
 * A BPF program or map type, by the kernel's number, that eBPF redirection relies on. {@link #requireAll}
 * probes the running kernel (through libbpf) and fails naming every one that is missing.
 *
 * @param name how the feature is named in errors, e.g. {@code "program type sk_lookup"}
 * @param program true for a program type, false for a map type
 * @param kernelType {@code enum bpf_prog_type} or {@code enum bpf_map_type} value
 */
public record KernelFeature(String name, boolean program, int kernelType) {
    private static final int EOPNOTSUPP = 95;

    public static final List<KernelFeature> REDIRECTION = List.of(
            program("cgroup_sock_addr (cgroup/connect4)", 18),
            program("cgroup_sockopt (cgroup/getsockopt)", 25),
            program("sock_ops", 13),
            program("sk_msg", 16),
            program("sk_lookup", 30),
            map("hash", 1),
            map("lru_hash", 9),
            map("sockhash", 18),
            map("sk_storage", 24));

    public static KernelFeature program(String name, int bpfProgType) {
        return new KernelFeature("program type " + name, true, bpfProgType);
    }

    public static KernelFeature map(String name, int bpfMapType) {
        return new KernelFeature("map type " + name, false, bpfMapType);
    }

    /** Whether the running kernel supports this feature. */
    public boolean supported() {
        int result = program ? Libbpf.probeProgramType(kernelType) : Libbpf.probeMapType(kernelType);
        if (result == -EOPNOTSUPP) {
            return false; // libbpf cannot even probe it: a type newer than libbpf, or no such type
        }
        if (result < 0) {
            throw new BpfException("probing the kernel for " + name + " failed: " + Libbpf.describe(result));
        }
        return result == 1;
    }

    /** @throws MissingKernelFeatureException naming every feature the kernel lacks */
    public static void requireAll(List<KernelFeature> features) {
        List<String> missing = new ArrayList<>();
        for (KernelFeature feature : features) {
            if (!feature.supported()) {
                missing.add(feature.name());
            }
        }
        if (!missing.isEmpty()) {
            throw new MissingKernelFeatureException(missing);
        }
    }
}
