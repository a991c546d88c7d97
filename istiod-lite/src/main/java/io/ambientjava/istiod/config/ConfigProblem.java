package io.ambientjava.istiod.config;

import java.util.Objects;

/**
 * Something wrong with a configuration document, said so that a person can find and fix it: the file and
 * document, the resource (as far as it could be read), the field and the reason.
 *
 * @param severity {@link Severity#ERROR} means the document was not used (the last valid version of the resource,
 *     if any, stays in force); {@link Severity#WARNING} means it was used but something in it has no effect or a
 *     weaker one than written
 * @param resource kind, namespace and name as written; parts that could not be read are empty
 * @param fieldPath like {@code spec.rules[0].to[0].operation.ports[1]}; empty when the problem is the whole
 *     document
 */
public record ConfigProblem(
        Severity severity, SourceLocation location, String resource, String fieldPath, String reason) {

    public enum Severity {
        ERROR,
        WARNING
    }

    public ConfigProblem {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(fieldPath, "fieldPath");
        Objects.requireNonNull(reason, "reason");
    }

    public static ConfigProblem error(SourceLocation location, String resource, String fieldPath, String reason) {
        return new ConfigProblem(Severity.ERROR, location, resource, fieldPath, reason);
    }

    public static ConfigProblem warning(SourceLocation location, String resource, String fieldPath, String reason) {
        return new ConfigProblem(Severity.WARNING, location, resource, fieldPath, reason);
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /** {@code error: pods.yaml (document 2): Pod default/web: status.podIP: not an IP address: 'x'}. */
    public String message() {
        StringBuilder text = new StringBuilder()
                .append(severity.name().toLowerCase(java.util.Locale.ROOT))
                .append(": ")
                .append(location);
        if (!resource.isEmpty()) {
            text.append(": ").append(resource);
        }
        if (!fieldPath.isEmpty()) {
            text.append(": ").append(fieldPath);
        }
        return text.append(": ").append(reason).toString();
    }

    @Override
    public String toString() {
        return message();
    }
}
