package io.ambientjava.bpf;

import java.util.ArrayList;
import java.util.List;

/**
 * A BPF program type, map type, or helper available to a program type, by the kernel's numbers, that eBPF
 * redirection relies on. {@link #requireAll} probes the running kernel (through libbpf) and fails naming
 * every one that is missing.
 *
 * <p>Helper probes can only err on the optimistic side: libbpf 1.1 recognises the verifier's "unknown func"
 * but not newer kernels' "program of this type cannot use helper", so a helper a program type may not use
 * can pass the probe; loading then fails with the verifier's message naming the helper.
 *
 * @param name how the feature is named in errors, e.g. {@code "program type sk_lookup"}
 * @param kind what is probed
 * @param kernelType {@code enum bpf_prog_type} (programs, helpers) or {@code enum bpf_map_type} (maps)
 * @param helper {@code enum bpf_func_id} for helpers, 0 otherwise
 */
public record KernelFeature(String name, Kind kind, int kernelType, int helper) {
    public enum Kind {
        PROGRAM_TYPE,
        MAP_TYPE,
        HELPER
    }

    private static final int EOPNOTSUPP = 95;

    // enum bpf_prog_type
    private static final int SOCK_OPS = 13;
    private static final int SK_MSG = 16;
    private static final int CGROUP_SOCK_ADDR = 18;
    private static final int CGROUP_SOCKOPT = 25;
    private static final int SK_LOOKUP = 30;
    // enum bpf_func_id
    private static final int SOCK_HASH_UPDATE = 70;
    private static final int MSG_REDIRECT_HASH = 71;
    private static final int SK_STORAGE_GET = 107;
    private static final int GET_NETNS_COOKIE = 122;
    private static final int SK_ASSIGN = 124;
    private static final int SKC_TO_TCP_SOCK = 137;

    /** Everything {@code ambient_redirect.bpf.o} needs. */
    public static final List<KernelFeature> REDIRECTION = List.of(
            program("cgroup_sock_addr (cgroup/connect4, connect6, bind4/6, getpeername4/6)", CGROUP_SOCK_ADDR),
            program("cgroup_sockopt (cgroup/getsockopt)", CGROUP_SOCKOPT),
            program("sock_ops", SOCK_OPS),
            program("sk_msg", SK_MSG),
            program("sk_lookup", SK_LOOKUP),
            map("hash", 1),
            map("lru_hash", 9),
            map("sockhash", 18),
            map("sk_storage", 24),
            helper("bpf_get_netns_cookie", GET_NETNS_COOKIE, "cgroup_sock_addr", CGROUP_SOCK_ADDR),
            helper("bpf_get_netns_cookie", GET_NETNS_COOKIE, "sock_ops", SOCK_OPS),
            helper("bpf_get_netns_cookie", GET_NETNS_COOKIE, "sk_msg", SK_MSG),
            helper("bpf_get_netns_cookie", GET_NETNS_COOKIE, "cgroup_sockopt", CGROUP_SOCKOPT),
            helper("bpf_sk_storage_get", SK_STORAGE_GET, "cgroup_sock_addr", CGROUP_SOCK_ADDR),
            helper("bpf_sk_storage_get", SK_STORAGE_GET, "sock_ops", SOCK_OPS),
            helper("bpf_sk_storage_get", SK_STORAGE_GET, "cgroup_sockopt", CGROUP_SOCKOPT),
            helper("bpf_sock_hash_update", SOCK_HASH_UPDATE, "sock_ops", SOCK_OPS),
            helper("bpf_msg_redirect_hash", MSG_REDIRECT_HASH, "sk_msg", SK_MSG),
            helper("bpf_skc_to_tcp_sock", SKC_TO_TCP_SOCK, "sk_msg", SK_MSG),
            helper("bpf_skc_to_tcp_sock", SKC_TO_TCP_SOCK, "sock_ops", SOCK_OPS),
            helper("bpf_sk_assign", SK_ASSIGN, "sk_lookup", SK_LOOKUP));

    public static KernelFeature program(String name, int bpfProgType) {
        return new KernelFeature("program type " + name, Kind.PROGRAM_TYPE, bpfProgType, 0);
    }

    public static KernelFeature map(String name, int bpfMapType) {
        return new KernelFeature("map type " + name, Kind.MAP_TYPE, bpfMapType, 0);
    }

    public static KernelFeature helper(String name, int bpfFuncId, String programName, int bpfProgType) {
        return new KernelFeature(
                "helper " + name + " in " + programName + " programs", Kind.HELPER, bpfProgType, bpfFuncId);
    }

    /** Whether the running kernel supports this feature. */
    public boolean supported() {
        int result = switch (kind) {
            case PROGRAM_TYPE -> Libbpf.probeProgramType(kernelType);
            case MAP_TYPE -> Libbpf.probeMapType(kernelType);
            case HELPER -> Libbpf.probeHelper(kernelType, helper);
        };
        if (result == -EOPNOTSUPP) {
            return false; // libbpf cannot even probe it: a type newer than libbpf, or no such type
        }
        if (result < 0) {
            throw new BpfException("probing the kernel for " + name + " failed: " + Libbpf.describe(result));
        }
        return result == 1;
    }

    /**
     * Probes every feature; a helper is only probed when its program type is there.
     *
     * @throws MissingKernelFeatureException naming every feature the kernel lacks
     */
    public static void requireAll(List<KernelFeature> features) {
        List<String> missing = new ArrayList<>();
        List<Integer> missingProgramTypes = new ArrayList<>();
        for (KernelFeature feature : features) {
            if (feature.kind == Kind.HELPER && missingProgramTypes.contains(feature.kernelType)) {
                continue;
            }
            if (!feature.supported()) {
                missing.add(feature.name());
                if (feature.kind == Kind.PROGRAM_TYPE) {
                    missingProgramTypes.add(feature.kernelType);
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new MissingKernelFeatureException(missing);
        }
    }
}
