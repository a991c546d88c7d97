package io.ambientjava.cni.runtime;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A plugin of the chain failed, as the runtime sees it: which plugin, its exit code, the CNI error object it
 * printed (code, msg, details; null when it printed none) and its stderr.
 */
public final class CniCallException extends Exception {
    private final String pluginType;
    private final int exitCode;
    private final JsonNode error;
    private final String stderr;

    CniCallException(String command, String pluginType, int exitCode, JsonNode error, String stdout, String stderr) {
        super(command + " failed in plugin " + pluginType + " (exit " + exitCode + "): "
                + (error != null ? error.toString() : "stdout '" + stdout.strip() + "'") + " stderr '"
                + stderr.strip() + "'");
        this.pluginType = pluginType;
        this.exitCode = exitCode;
        this.error = error;
        this.stderr = stderr;
    }

    public String pluginType() {
        return pluginType;
    }

    public int exitCode() {
        return exitCode;
    }

    /** The CNI error code, or -1 when the plugin printed no error object. */
    public int code() {
        return error == null ? -1 : error.path("code").asInt(-1);
    }

    public String msg() {
        return error == null ? "" : error.path("msg").asText();
    }

    public String details() {
        return error == null ? "" : error.path("details").asText();
    }

    public String stderr() {
        return stderr;
    }
}
