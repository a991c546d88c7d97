package io.ambientjava.ztunnel.state.lb;

import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.Workload;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a connection to a service goes.
 *
 * @param address the workload IP to connect to; empty for a workload reached by hostname or network gateway
 * @param targetPort the port on the workload
 */
public record PickedEndpoint(Service service, Workload workload, Optional<InetAddress> address, int targetPort) {

    public PickedEndpoint {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(address, "address");
        if (targetPort < 1 || targetPort > 65535) {
            throw new IllegalArgumentException("target port " + targetPort + " is not in 1..65535");
        }
    }
}
