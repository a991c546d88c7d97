package io.ambientjava.perf.mesh;

import java.net.InetAddress;
import java.util.List;
import java.util.stream.Collectors;

/** ztunnel's local-config YAML for the benchmark's workloads: HBONE-capable pods, no services, no policies. */
public final class LocalMeshConfig {

    /** One pod as a workload in namespace {@code default}, with a service account of its own name. */
    public record MeshWorkload(String name, InetAddress ip, String node) {
        public MeshWorkload {
            if (name == null || !name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")) {
                throw new IllegalArgumentException("workload name must be a DNS label, was '" + name + "'");
            }
            if (ip == null || node == null || node.isBlank()) {
                throw new IllegalArgumentException("workload " + name + " needs an IP and a node");
            }
        }

        public String uid() {
            return "Kubernetes//Pod/default/" + name;
        }
    }

    private LocalMeshConfig() {}

    public static String yaml(List<MeshWorkload> workloads) {
        if (workloads.isEmpty()) {
            throw new IllegalArgumentException("a local config needs at least one workload");
        }
        return "workloads:\n"
                + workloads.stream().map(LocalMeshConfig::workload).collect(Collectors.joining());
    }

    private static String workload(MeshWorkload w) {
        return """
                - uid: %1$s
                  name: %2$s
                  namespace: default
                  serviceAccount: %2$s
                  workloadIps: ["%3$s"]
                  protocol: HBONE
                  node: %4$s
                  workloadName: %2$s
                  canonicalName: %2$s
                  canonicalRevision: v1
                """.formatted(w.uid(), w.name(), w.ip().getHostAddress(), w.node());
    }
}
