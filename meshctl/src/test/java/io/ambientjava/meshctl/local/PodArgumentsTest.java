package io.ambientjava.meshctl.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PodArgumentsTest {

    @Test
    void namesAreDnsLabels() {
        assertThat(PodArguments.checkName("pod", "web-1")).isEqualTo("web-1");
        assertThatThrownBy(() -> PodArguments.checkName("pod", "Web_1"))
                .hasMessageStartingWith("invalid pod name 'Web_1': use at most 63 lower-case letters");
        assertThatThrownBy(() -> PodArguments.checkName("namespace", "-x")).hasMessageContaining("namespace name '-x'");
        assertThatThrownBy(() -> PodArguments.checkName("pod", "a".repeat(64)))
                .hasMessageContaining("invalid pod name");
    }

    @Test
    void labelChangesSetOrRemove() {
        assertThat(PodArguments.labelChange("istio.io/dataplane-mode=ambient"))
                .isEqualTo(new PodArguments.LabelChange("istio.io/dataplane-mode", Optional.of("ambient")));
        assertThat(PodArguments.labelChange("istio.io/dataplane-mode-").removes())
                .isTrue();
        assertThat(PodArguments.labelChange("team=").value()).contains("");
        assertThatThrownBy(() -> PodArguments.labelChange("ambient"))
                .hasMessage("'ambient' is neither key=value (set a label) nor key- (remove a label)");
        assertThatThrownBy(() -> PodArguments.labelChange("bad key=x"))
                .hasMessageStartingWith("invalid label key 'bad key'");
        assertThatThrownBy(() -> PodArguments.labelChange("Istio.IO/mode=x"))
                .hasMessageStartingWith("invalid label key 'Istio.IO/mode'");
        assertThatThrownBy(() -> PodArguments.labelChange("app=no spaces"))
                .hasMessageStartingWith("invalid value 'no spaces' for label app");
    }

    @Test
    void labelListsKeepTheirOrder() {
        assertThat(PodArguments.labels("app=web, version=v1"))
                .containsExactly(Map.entry("app", "web"), Map.entry("version", "v1"));
        assertThatThrownBy(() -> PodArguments.labels("app-")).hasMessage("'app-' is not key=value");
    }
}
