package io.ambientjava.waypoint.config;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * One {@code LbEndpoint}.
 *
 * @param address pod IP and target port
 * @param hbone reach it through its ztunnel ({@code <ip>:15008}, CONNECT {@code address}); else plain TCP
 * @param identity the SPIFFE ID its certificate must carry (required for HBONE)
 * @param workload {@code <pod>;<namespace>;<app>;<version>;<cluster>} from the {@code istio} metadata
 */
public record EndpointConfig(
        InetSocketAddress address,
        int weight,
        boolean healthy,
        boolean hbone,
        Optional<String> identity,
        Optional<String> workload) {

    public EndpointConfig {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(workload, "workload");
    }
}
