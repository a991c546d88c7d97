package io.ambientjava.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Method;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnvironmentRequirementConditionTest {

    @RequiresCommand({"sh", "no-such-command-ambient-java"})
    void needsAMissingCommand() {}

    @RequiresCommand("sh")
    void needsShell() {}

    @RequiresRoot
    void needsRoot() {}

    @Test
    void namesEachMissingCommand() throws Exception {
        Method method = getClass().getDeclaredMethod("needsAMissingCommand");

        assertThat(EnvironmentRequirementCondition.missingRequirements(method))
                .containsExactly("needs the command 'no-such-command-ambient-java' on the PATH");
    }

    @Test
    void commandsOnThePathAreMet() throws Exception {
        Method method = getClass().getDeclaredMethod("needsShell");

        assertThat(EnvironmentRequirementCondition.missingRequirements(method)).isEmpty();
    }

    @Test
    void rootRequirementFollowsTheRealUid() throws Exception {
        Method method = getClass().getDeclaredMethod("needsRoot");

        assertThat(EnvironmentRequirementCondition.missingRequirements(method).isEmpty())
                .isEqualTo(HostEnvironment.isRoot());
    }

    @Test
    void missingRequirementSkipsWithTheReasonOutsideCi() {
        var result = EnvironmentRequirementCondition.skipOrFail(List.of("needs root"), false);

        assertThat(result.isDisabled()).isTrue();
        assertThat(result.getReason()).contains("needs root");
    }

    @Test
    void missingRequirementFailsUnderCi() {
        assertThatThrownBy(() -> EnvironmentRequirementCondition.skipOrFail(List.of("needs root"), true))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("CI=true")
                .hasMessageContaining("needs root");
    }
}
