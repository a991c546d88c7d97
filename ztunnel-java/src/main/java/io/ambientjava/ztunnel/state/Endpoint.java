package io.ambientjava.ztunnel.state;

import java.util.Objects;

/**
 * A workload serving a service, with the workload's own port mapping for that service.
 *
 * @param service the service's key (the service itself may not have arrived yet)
 */
public record Endpoint(NamespacedHostname service, Workload workload, PortMap ports) {

    public Endpoint {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(ports, "ports");
    }

    public HealthStatus status() {
        return workload.status();
    }
}
