package io.ambientjava.waypoint.telemetry;

import io.micrometer.core.instrument.Tags;
import java.util.Optional;

/**
 * Istio's standard request metric labels for one request, {@code "unknown"} where nothing is known. Workload
 * labels of the destination come from the endpoint's {@code istio} metadata
 * ({@code <name>;<namespace>;<canonical service>;<revision>;<cluster>}); the source from the mTLS identity and,
 * when the client's ztunnel sent it, the {@code baggage}.
 */
record RequestLabels(
        String sourceWorkload,
        String sourceWorkloadNamespace,
        String sourcePrincipal,
        String destinationService,
        String destinationServiceName,
        String destinationServiceNamespace,
        String destinationWorkload,
        String destinationWorkloadNamespace,
        String destinationCanonicalService,
        String destinationCanonicalRevision,
        String destinationCluster,
        String destinationPrincipal,
        String requestProtocol,
        String responseCode,
        String grpcResponseStatus,
        String responseFlags,
        String connectionSecurityPolicy) {

    static final String UNKNOWN = "unknown";

    static RequestLabels of(RequestRecord r) {
        String[] workload = r.destinationWorkload().map(w -> w.split(";", -1)).orElse(new String[0]);
        String[] host = r.destinationService().split("\\.");
        return new RequestLabels(
                known(r.sourceWorkload()),
                known(r.sourcePrincipal().flatMap(RequestLabels::namespaceOf)),
                known(r.sourcePrincipal()),
                r.destinationService().isEmpty() ? UNKNOWN : r.destinationService(),
                host.length > 0 && !host[0].isEmpty() ? host[0] : UNKNOWN,
                host.length > 1 ? host[1] : UNKNOWN,
                part(workload, 0),
                part(workload, 1),
                part(workload, 2),
                part(workload, 3),
                part(workload, 4),
                known(r.destinationPrincipal()),
                r.grpcStatus().isPresent() ? "grpc" : "http",
                Integer.toString(r.status()),
                r.grpcStatus().orElse(""),
                r.responseFlags(),
                r.mtls() ? "mutual_tls" : "none");
    }

    Tags tags() {
        return Tags.of(
                        "reporter", "waypoint",
                        "source_workload", sourceWorkload,
                        "source_workload_namespace", sourceWorkloadNamespace,
                        "source_principal", sourcePrincipal,
                        "source_canonical_service", sourceWorkload,
                        "source_canonical_revision", UNKNOWN,
                        "source_app", sourceWorkload,
                        "source_version", UNKNOWN,
                        "source_cluster", UNKNOWN,
                        "destination_service", destinationService)
                .and(
                        "destination_service_name", destinationServiceName,
                        "destination_service_namespace", destinationServiceNamespace,
                        "destination_workload", destinationWorkload,
                        "destination_workload_namespace", destinationWorkloadNamespace,
                        "destination_canonical_service", destinationCanonicalService,
                        "destination_canonical_revision", destinationCanonicalRevision,
                        "destination_app", destinationCanonicalService,
                        "destination_version", destinationCanonicalRevision,
                        "destination_cluster", destinationCluster,
                        "destination_principal", destinationPrincipal)
                .and(
                        "request_protocol", requestProtocol,
                        "response_code", responseCode,
                        "grpc_response_status", grpcResponseStatus,
                        "response_flags", responseFlags,
                        "connection_security_policy", connectionSecurityPolicy);
    }

    private static String known(Optional<String> value) {
        return value.filter(v -> !v.isEmpty()).orElse(UNKNOWN);
    }

    private static String part(String[] parts, int i) {
        return parts.length > i && !parts[i].isEmpty() ? parts[i] : UNKNOWN;
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
