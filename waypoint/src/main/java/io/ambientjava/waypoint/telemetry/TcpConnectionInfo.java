package io.ambientjava.waypoint.telemetry;

import java.util.Objects;
import java.util.Optional;

/**
 * Who a proxied TCP connection is between, for Istio's TCP metrics.
 *
 * @param destinationService the service hostname the client targeted ("unknown" when none)
 * @param destinationWorkload {@code <pod>;<namespace>;<app>;<version>;<cluster>} of the chosen endpoint
 * @param responseFlags Envoy's flags known when the connection opened ({@code UH}: no endpoint; "-" for none)
 */
public record TcpConnectionInfo(
        String destinationService,
        Optional<String> destinationWorkload,
        Optional<String> destinationPrincipal,
        Optional<String> sourcePrincipal,
        Optional<String> sourceWorkload,
        boolean mtls,
        String responseFlags) {

    public TcpConnectionInfo {
        Objects.requireNonNull(destinationService, "destinationService");
        Objects.requireNonNull(destinationWorkload, "destinationWorkload");
        Objects.requireNonNull(destinationPrincipal, "destinationPrincipal");
        Objects.requireNonNull(sourcePrincipal, "sourcePrincipal");
        Objects.requireNonNull(sourceWorkload, "sourceWorkload");
        Objects.requireNonNull(responseFlags, "responseFlags");
    }
}
