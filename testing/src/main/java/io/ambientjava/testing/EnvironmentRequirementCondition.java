package io.ambientjava.testing;

import java.lang.reflect.AnnotatedElement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Evaluates {@link RequiresRoot} and {@link RequiresCommand}. A missing requirement disables the test
 * with a reason, except under {@code CI=true}, where it throws so that the run fails instead of
 * silently skipping a test CI is supposed to run.
 */
public final class EnvironmentRequirementCondition implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<AnnotatedElement> element = context.getElement();
        if (element.isEmpty()) {
            return ConditionEvaluationResult.enabled("no element");
        }
        List<String> missing = missingRequirements(element.get());
        if (missing.isEmpty()) {
            return ConditionEvaluationResult.enabled("environment requirements met");
        }
        return skipOrFail(missing, HostEnvironment.isCi());
    }

    static ConditionEvaluationResult skipOrFail(List<String> missing, boolean ci) {
        String reason = String.join("; ", missing);
        if (ci) {
            throw new IllegalStateException("CI=true but a privileged test cannot run: " + reason);
        }
        return ConditionEvaluationResult.disabled(reason);
    }

    static List<String> missingRequirements(AnnotatedElement element) {
        List<String> missing = new ArrayList<>();
        if (element.isAnnotationPresent(RequiresRoot.class) && !HostEnvironment.isRoot()) {
            missing.add("needs root (uid 0) for network namespaces and kernel features");
        }
        RequiresCommand commands = element.getAnnotation(RequiresCommand.class);
        if (commands != null) {
            for (String command : commands.value()) {
                if (HostEnvironment.findOnPath(command).isEmpty()) {
                    missing.add("needs the command '" + command + "' on the PATH");
                }
            }
        }
        return missing;
    }
}
