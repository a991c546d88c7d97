package io.ambientjava.istiod.config.yaml;

import java.util.List;
import java.util.regex.Pattern;

/** Port numbers and IANA service names as Kubernetes accepts them. */
final class PortRules {

    private static final Pattern IANA_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");

    private PortRules() {}

    static void checkNumber(Integer port, String path, boolean required, List<FieldIssue> issues) {
        if (port == null) {
            if (required) {
                issues.add(FieldIssue.error(path, "required"));
            }
            return;
        }
        if (port < 1 || port > 65535) {
            issues.add(FieldIssue.error(path, "port " + port + " is outside 1..65535"));
        }
    }

    /** A named port: at most 15 characters, lower-case letters, digits and '-', at least one letter. */
    static void checkName(String name, String path, List<FieldIssue> issues) {
        if (name.length() > 15
                || !IANA_NAME.matcher(name).matches()
                || name.contains("--")
                || name.chars().noneMatch(Character::isLetter)) {
            issues.add(FieldIssue.error(
                    path,
                    "'" + name + "' is not a valid port name (at most 15 lower-case letters, digits and '-', with"
                            + " at least one letter)"));
        }
    }
}
