package io.ambientjava.ztunnel.telemetry;

/** Which side of a connection a ztunnel reports from, as Istio's {@code reporter} label spells it. */
public enum Reporter {
    /** The ztunnel on the client's node (outbound). */
    SOURCE("source"),
    /** The ztunnel on the server's node (inbound). */
    DESTINATION("destination");

    private final String label;

    Reporter(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
