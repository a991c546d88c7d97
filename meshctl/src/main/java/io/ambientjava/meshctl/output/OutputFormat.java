package io.ambientjava.meshctl.output;

/** {@code -o}: a human table, or the data as JSON or YAML. */
public enum OutputFormat {
    TABLE,
    JSON,
    YAML
}
