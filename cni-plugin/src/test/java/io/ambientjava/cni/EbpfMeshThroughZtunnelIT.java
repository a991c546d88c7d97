package io.ambientjava.cni;

import io.ambientjava.cni.runtime.EbpfMeshRedirection;
import io.ambientjava.testing.RequiresCommand;

/**
 * {@link MeshThroughZtunnelScenarios} with {@code --redirect=ebpf}: the agent enrolls pods in eBPF redirection
 * (cgroup programs on a test cgroup holding this JVM and ztunnel, pins under a test root), ztunnel runs with
 * the same options as with nftables.
 */
@RequiresCommand({"bpftool"})
class EbpfMeshThroughZtunnelIT extends MeshThroughZtunnelScenarios {
    EbpfMeshThroughZtunnelIT() {
        super(new EbpfMeshRedirection());
    }
}
