package io.ambientjava.ztunnel.telemetry.metrics;

import java.util.Locale;

/** Istio's {@code response_flags} label values for TCP connections, as ztunnel sets them. */
public enum ResponseFlags {
    /** Nothing to report: the connection opened (it may still have ended with an error). */
    NONE("-"),
    /** Refused by an authorization policy. */
    DENY("DENY"),
    /** The upstream connection could not be established. */
    CONNECT("CONNECT");

    private final String label;

    ResponseFlags(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /**
     * The flag for a refusal reason. The observer contract passes reasons as text; a reason naming a policy, RBAC,
     * authorization or a denial is a policy refusal, anything else a failure to connect.
     */
    public static ResponseFlags forRefusal(String reason) {
        String lower = reason == null ? "" : reason.toLowerCase(Locale.ROOT);
        if (lower.contains("polic")
                || lower.contains("rbac")
                || lower.contains("authoriz")
                || lower.contains("denied")
                || lower.contains("deny")) {
            return DENY;
        }
        return CONNECT;
    }
}
