package io.ambientjava.cni;

import io.ambientjava.cni.runtime.NftablesMeshRedirection;

/** {@link MeshThroughZtunnelScenarios} with the default redirection: nftables rules in each pod netns. */
class MeshThroughZtunnelIT extends MeshThroughZtunnelScenarios {
    MeshThroughZtunnelIT() {
        super(new NftablesMeshRedirection());
    }
}
