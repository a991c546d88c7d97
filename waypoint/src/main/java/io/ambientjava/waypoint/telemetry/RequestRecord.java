package io.ambientjava.waypoint.telemetry;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What happened to one request, for metrics and the access log.
 *
 * @param responseFlags Envoy's short flags ({@code UO}, {@code UT}, {@code NR}, ...; "-" for none)
 * @param upstreamHost the endpoint that answered (or was last tried)
 * @param destinationWorkload the {@code istio} workload metadata of that endpoint
 * @param rbacLogged the policies of RBAC LOG (audit) filters that matched the request
 */
public record RequestRecord(
        Instant start,
        long durationMillis,
        String method,
        String path,
        String authority,
        String protocol,
        int status,
        String responseFlags,
        long requestBytes,
        long responseBytes,
        int attempts,
        String routeName,
        String cluster,
        Optional<String> upstreamHost,
        Optional<String> destinationWorkload,
        Optional<String> destinationPrincipal,
        String destinationService,
        Optional<String> sourcePrincipal,
        Optional<String> sourceAddress,
        Optional<String> sourceWorkload,
        Optional<String> grpcStatus,
        String requestId,
        boolean mtls,
        List<String> rbacLogged) {

    public RequestRecord {
        rbacLogged = List.copyOf(rbacLogged);
    }
}
