package io.ambientjava.istiod.config.yaml;

import java.util.Objects;

/**
 * One finding about a field of a document, before it is tied to a file and resource.
 *
 * @param error true when the document must be refused, false for a warning
 * @param path like {@code spec.ports[0].targetPort}; empty for the whole document
 */
public record FieldIssue(boolean error, String path, String reason) {

    public FieldIssue {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(reason, "reason");
    }

    public static FieldIssue error(String path, String reason) {
        return new FieldIssue(true, path, reason);
    }

    public static FieldIssue warning(String path, String reason) {
        return new FieldIssue(false, path, reason);
    }

    /** {@code parent.child}, or just {@code child} at the top. */
    static String child(String parent, String field) {
        return parent.isEmpty() ? field : parent + "." + field;
    }

    static String index(String parent, int index) {
        return parent + "[" + index + "]";
    }
}
