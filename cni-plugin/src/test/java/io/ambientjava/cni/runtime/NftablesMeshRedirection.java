package io.ambientjava.cni.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.cni.redirect.NftablesRedirector;
import io.ambientjava.cni.redirect.PodRedirector;
import io.ambientjava.cni.redirect.RedirectionConfig;
import java.util.List;

/** The default mode: nftables rules and policy routing inside each pod's netns. Nothing node-wide. */
public final class NftablesMeshRedirection implements MeshRedirection {
    @Override
    public void setUp() {}

    @Override
    public PodRedirector startRedirector() {
        return new NftablesRedirector(RedirectionConfig.DEFAULTS);
    }

    @Override
    public void stopRedirector() {}

    @Override
    public List<String> ztunnelOptions() {
        return List.of();
    }

    @Override
    public void assertRedirected(Sandbox pod) {
        assertThat(CniNode.exec(pod.netns(), "nft", "list", "tables").stdout()).contains("ambient-java");
    }

    @Override
    public void assertNothingLeftFor(Sandbox pod) {
        assertThat(CniNode.exec(pod.netns(), "nft", "list", "tables").stdout()).doesNotContain("ambient-java");
        assertThat(CniNode.exec(pod.netns(), "ip", "rule", "show").stdout()).doesNotContain("0x111");
    }

    @Override
    public void close() {}

    @Override
    public String toString() {
        return "nftables";
    }
}
