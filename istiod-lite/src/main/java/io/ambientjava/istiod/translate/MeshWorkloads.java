package io.ambientjava.istiod.translate;

import io.ambientjava.istiod.config.IpPrefix;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which pods are workloads of the mesh, and at which addresses: the one rule behind the workload xDS
 * ({@code Workload.addresses}) and the waypoint's chains for workload-addressed traffic.
 */
public final class MeshWorkloads {

    private MeshWorkloads() {}

    /**
     * The pod's IPs ({@code status.podIP}, then {@code status.podIPs}) as written, each address once; empty when the
     * pod is no workload: finished ({@code Succeeded}, {@code Failed}), on the node's network (it shares the node's
     * IP), or without an IP yet.
     */
    public static List<String> ips(Pod pod) {
        var status = pod.getStatus();
        if (status == null || "Succeeded".equals(status.getPhase()) || "Failed".equals(status.getPhase())) {
            return List.of();
        }
        if (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
            return List.of();
        }
        List<String> texts = new ArrayList<>();
        if (status.getPodIP() != null) {
            texts.add(status.getPodIP());
        }
        for (PodIP ip : status.getPodIPs() == null ? List.<PodIP>of() : status.getPodIPs()) {
            texts.add(ip.getIp());
        }
        Set<InetAddress> seen = new HashSet<>();
        List<String> ips = new ArrayList<>();
        for (String text : texts) {
            IpPrefix.parseAddress(text).filter(seen::add).ifPresent(address -> ips.add(text));
        }
        return List.copyOf(ips);
    }
}
