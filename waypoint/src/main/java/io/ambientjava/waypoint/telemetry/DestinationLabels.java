package io.ambientjava.waypoint.telemetry;

import static io.ambientjava.waypoint.telemetry.SourceLabels.UNKNOWN;
import static io.ambientjava.waypoint.telemetry.SourceLabels.known;

import java.util.Optional;

/**
 * The destination half of Istio's standard labels: the service's host split into name and namespace, and the
 * endpoint's {@code istio} metadata ({@code <name>;<namespace>;<canonical service>;<revision>;<cluster>}) split
 * into its workload labels, {@code "unknown"} where nothing is known.
 */
record DestinationLabels(
        String service,
        String serviceName,
        String serviceNamespace,
        String workload,
        String workloadNamespace,
        String canonicalService,
        String canonicalRevision,
        String cluster,
        String principal) {

    static DestinationLabels of(String service, Optional<String> workload, Optional<String> principal) {
        String[] parts = workload.map(w -> w.split(";", -1)).orElse(new String[0]);
        String[] host = service.split("\\.");
        return new DestinationLabels(
                service.isEmpty() ? UNKNOWN : service,
                host.length > 0 && !host[0].isEmpty() ? host[0] : UNKNOWN,
                host.length > 1 ? host[1] : UNKNOWN,
                part(parts, 0),
                part(parts, 1),
                part(parts, 2),
                part(parts, 3),
                part(parts, 4),
                known(principal));
    }

    private static String part(String[] parts, int i) {
        return parts.length > i && !parts[i].isEmpty() ? parts[i] : UNKNOWN;
    }
}
