package io.ambientjava.waypoint.telemetry;

import java.util.Optional;

/**
 * The source half of Istio's standard labels: the workload named by the client ztunnel's baggage and the
 * namespace of the client's SPIFFE ID, {@code "unknown"} where nothing is known.
 */
record SourceLabels(String workload, String workloadNamespace, String principal) {

    static final String UNKNOWN = "unknown";

    static SourceLabels of(Optional<String> workload, Optional<String> principal) {
        return new SourceLabels(known(workload), known(principal.flatMap(SourceLabels::namespaceOf)), known(principal));
    }

    static String known(Optional<String> value) {
        return value.filter(v -> !v.isEmpty()).orElse(UNKNOWN);
    }

    /** {@code spiffe://td/ns/<namespace>/sa/<sa>} → the namespace. */
    private static Optional<String> namespaceOf(String spiffe) {
        int ns = spiffe.indexOf("/ns/");
        if (ns < 0) {
            return Optional.empty();
        }
        int end = spiffe.indexOf('/', ns + 4);
        return Optional.of(end < 0 ? spiffe.substring(ns + 4) : spiffe.substring(ns + 4, end));
    }
}
