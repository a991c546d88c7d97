package io.ambientjava.testing.netns;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class NetnsNamesTest {

    @Test
    void runPrefixCarriesPidNamespaceAndPid() {
        String prefix = NetnsNames.newRunPrefix();

        assertThat(prefix)
                .startsWith("aj-" + NetnsNames.pidNamespaceTag() + "-"
                        + ProcessHandle.current().pid() + "-")
                .matches("aj-[0-9a-z]+-[0-9]+-[0-9a-z]{4}-");
        assertThat(NetnsNames.newRunPrefix()).isNotEqualTo(prefix);
    }

    @Test
    void onlyNamesOfDeadProcessesInOurPidNamespaceAreStale() {
        List<String> existing = List.of(
                "aj-abc-100-k3f9-node1", // ours, pid dead
                "aj-abc-200-k3f9-pod-a", // ours, pid alive
                "aj-xyz-100-k3f9-node1", // other pid namespace
                "aj-abc-100-toolong-node1", // not our pattern
                "cni-1234", // somebody else's
                "aj-abc-100-zz99"); // no role

        List<String> stale = NetnsNames.staleNames(existing, "abc", pid -> pid == 200);

        assertThat(stale).containsExactly("aj-abc-100-k3f9-node1");
    }
}
