package io.ambientjava.ztunnel.telemetry;

/** Istio's {@code connection_security_policy} label values. */
public enum SecurityPolicy {
    MUTUAL_TLS("mutual_tls"),
    NONE("none"),
    UNKNOWN("unknown");

    private final String label;

    SecurityPolicy(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
