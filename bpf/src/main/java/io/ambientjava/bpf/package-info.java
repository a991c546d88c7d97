/**
 * eBPF redirection for ambient pods: the kernel-side alternative to in-pod nftables rules.
 *
 * <p>The BPF programs are C ({@code src/main/c/ambient_redirect.bpf.c}), compiled by clang during the build
 * and shipped in this jar as {@code /bpf/ambient_redirect.bpf.o}. They are loaded through libbpf
 * ({@code libbpf.so.1}) with the FFM API, no JNI: {@link io.ambientjava.bpf.BpfObject} opens and loads an
 * object, {@link io.ambientjava.bpf.EbpfRedirection} installs, pins, enrolls pods and uninstalls,
 * {@link io.ambientjava.bpf.KernelFeature} checks the kernel first and names what it lacks.
 *
 * <p>Needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN for mounting the BPF file system), a cgroup v2
 * hierarchy and a kernel with {@code sk_lookup} (5.9+), {@code bpf_sk_storage} in sock_addr/sockopt
 * programs and BPF links for cgroups and netns; it was developed on Linux 6.18. IPv4 TCP only.
 */
package io.ambientjava.bpf;
