package io.ambientjava.ztunnel.config;

import io.ambientjava.ztunnel.state.StateUpdate;

/** Reads ztunnel's local-config YAML into a state update that replaces the whole state. */
public final class LocalConfigLoader {

    private LocalConfigLoader() {}

    /**
     * Parses and validates a local config.
     *
     * @param source names the document in errors: a file path, or {@code LOCAL_XDS}
     * @throws LocalConfigException naming source, line, column, field path and problem
     */
    public static StateUpdate load(String source, String yaml) throws LocalConfigException {
        YamlLocator locator = new YamlLocator(yaml);
        return LocalConfigConverter.convert(source, locator, LocalConfigParser.parse(source, yaml, locator));
    }
}
